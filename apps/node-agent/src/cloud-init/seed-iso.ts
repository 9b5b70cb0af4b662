/**
 * The NoCloud seed ISO: built by `genisoimage` (Debian's cdrkit; the set-up installs it), read
 * back from its volume header without any tool.
 *
 * Guarantees: the three files are written into a private 0700 temp dir under the agent's state
 * dir, mode 0600, and removed right after, also on failure; genisoimage gets their names only
 * (argv never holds user-data); the ISO is created 0600 under a `.partial` name before
 * genisoimage writes into it (it truncates, keeping the mode: never readable by others, not even
 * for a moment) and renamed over the seed, so a VM starting never sees half an ISO.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HvsError, type CloudInitSeed } from '@hvs/domain';

export const SEED_FILE_MODE = 0o600;
/** ISO 9660 primary volume descriptor: sector 16; its application id field (a-characters, 128 bytes). */
const PVD_OFFSET = 16 * 2048;
const APP_ID = { at: 574, len: 128 };
const VOLUME_ID = { at: 40, len: 32 };

export interface SeedIsoOptions {
  /** Parent of the private temp dirs (the agent's state dir). */
  workDir: string;
  /** Default `genisoimage` from PATH. */
  genisoimage?: string;
  timeoutMs?: number;
}

/**
 * Writes the seed ISO to `dest`: volume label `cidata`, Joliet and Rock Ridge names `meta-data`,
 * `user-data`, `network-config`; the instance-id also goes into the application id so that
 * readSeedInstanceId() can tell what a seed holds without opening it as a filesystem.
 */
export async function writeSeedIso(dest: string, seed: CloudInitSeed, o: SeedIsoOptions): Promise<void> {
  await mkdir(o.workDir, { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(join(o.workDir, 'seed-'));
  const partial = `${dest}.partial`;
  try {
    const files: Array<[string, string]> = [['meta-data', seed.metaData], ['user-data', seed.userData], ['network-config', seed.networkConfig]];
    for (const [name, text] of files) await writeFile(join(tmp, name), text, { mode: SEED_FILE_MODE, flag: 'wx' });
    await rm(partial, { force: true });
    await (await open(partial, 'wx', SEED_FILE_MODE)).close();
    await run(o.genisoimage ?? 'genisoimage', ['-quiet', '-output', partial, '-volid', 'cidata', '-appid', seed.instanceId, '-joliet', '-rock', ...files.map(([n]) => n)], tmp, o.timeoutMs ?? 60_000, dest);
    await rename(partial, dest);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The instance-id a seed was built for (its application id); undefined when there is no readable seed of ours. */
export async function readSeedInstanceId(path: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const pvd = Buffer.alloc(2048);
    const { bytesRead } = await fh.read(pvd, 0, pvd.length, PVD_OFFSET);
    if (bytesRead < pvd.length || pvd[0] !== 1 || pvd.subarray(1, 6).toString('latin1') !== 'CD001') return undefined;
    if (field(pvd, VOLUME_ID) !== 'cidata') return undefined;
    return field(pvd, APP_ID) || undefined;
  } finally {
    await fh.close();
  }
}

function field(pvd: Buffer, f: { at: number; len: number }): string {
  return pvd.subarray(f.at, f.at + f.len).toString('latin1').trimEnd();
}

function run(cmd: string, args: string[], cwd: string, timeout: number, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout, maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      // genisoimage reports file names and sizes, never file content: its stderr is safe to show.
      reject(new HvsError({
        code: missing ? 'HVS-AGENT-SEED-TOOL-MISSING' : 'HVS-AGENT-SEED-BUILD-FAILED', category: missing ? 'FailedPrecondition' : 'Internal',
        message: `the cloud-init seed ${dest} could not be built`,
        why: missing ? `${cmd} is not installed on this node` : `${cmd} failed: ${String(stderr).trim().split('\n').slice(-3).join(' ') || err.message}`,
        fix: missing ? 'install it: apt-get install --no-install-recommends genisoimage' : 'check free space and permissions of the pool directory; the agent retries on its own',
      }));
    });
  });
}
