/**
 * writeSeedIso with the real genisoimage, behind a wrapper script that records its argv: the
 * argv names files only (never their content), the temp dir is gone afterwards, the ISO is 0600
 * and its instance-id reads back; a missing tool is a coded error with the install command.
 */
import { execFile } from 'node:child_process';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readSeedInstanceId, writeSeedIso } from '../../src/cloud-init/seed-iso';
import { tempDir } from '../support/fixtures';

const run = promisify(execFile);
const MARKER = 'marker-in-user-data-5b1e';
const seed = { instanceId: 'hvs-u1-0123456789ab', metaData: 'instance-id: hvs-u1-0123456789ab\nlocal-hostname: a\n', userData: `#cloud-config\nruncmd: [echo ${MARKER}]\n`, networkConfig: 'version: 2\nethernets: {}\n' };

describe('writeSeedIso (genisoimage)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('hvs-seed-iso-')));
  afterEach(() => cleanup());

  it('argv names files only; the work dir is emptied; 0600; the instance-id reads back', async () => {
    const wrapper = join(dir, 'genisoimage');
    await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(dir, 'argv')}\nexec genisoimage "$@"\n`);
    await chmod(wrapper, 0o755);
    const iso = join(dir, 'hvs-u1-cidata.iso');
    await writeSeedIso(iso, seed, { workDir: join(dir, 'work'), genisoimage: wrapper });
    const argv = await readFile(join(dir, 'argv'), 'utf8');
    expect(argv).not.toContain(MARKER);
    expect(argv.split('\n').slice(-4, -1)).toEqual(['meta-data', 'user-data', 'network-config']);
    expect(await readdir(join(dir, 'work'))).toEqual([]);
    expect((await stat(join(dir, 'work'))).mode & 0o777).toBe(0o700);
    expect((await stat(iso)).mode & 0o777).toBe(0o600);
    expect(await readSeedInstanceId(iso)).toBe(seed.instanceId);
    expect((await run('isoinfo', ['-J', '-i', iso, '-x', '/user-data'], { encoding: 'utf8' })).stdout).toBe(seed.userData);
    expect(await readdir(dir)).not.toContain('hvs-u1-cidata.iso.partial');
  });

  it('a file that is no seed of ours has no instance-id', async () => {
    await writeFile(join(dir, 'x.iso'), Buffer.alloc(40000));
    expect(await readSeedInstanceId(join(dir, 'x.iso'))).toBeUndefined();
    expect(await readSeedInstanceId(join(dir, 'missing.iso'))).toBeUndefined();
  });

  it('a missing tool: HVS-AGENT-SEED-TOOL-MISSING with the install command, no partial file, no temp files', async () => {
    const iso = join(dir, 'hvs-u1-cidata.iso');
    await expect(writeSeedIso(iso, seed, { workDir: join(dir, 'work'), genisoimage: join(dir, 'nope') }))
      .rejects.toMatchObject({ code: 'HVS-AGENT-SEED-TOOL-MISSING', fix: expect.stringContaining('apt-get install') });
    expect((await readdir(dir)).sort()).toEqual(['work']);
    expect(await readdir(join(dir, 'work'))).toEqual([]);
  });
});
