/**
 * Network namespaces for the system tier, and the run records that make cleanup provable.
 * Guarantees: every namespace a run creates is named `hvs-<run id>-<suffix>` and listed in a
 * record file (os.tmpdir()/hvs-system-runs/<run id>.json) before it exists; `sweepRecord`
 * kills every process inside those namespaces (by PID, from `ip netns pids`), deletes them
 * (which deletes their veths) and removes the run's lab dir; a stale run (its owner process is
 * gone) is swept by the next run. Namespaces without a record are never touched.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const RUNS_DIR = path.join(os.tmpdir(), 'hvs-system-runs');

export interface RunRecord {
  runId: string;
  /** The test process that owns the run, with its start time (guards against PID reuse). */
  ownerPid: number;
  ownerStart: string;
  createdAt: string;
  namespaces: string[];
  /** Removed on sweep; must lie outside /var, /etc and /run. */
  labDir: string;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; a non-zero exit is a result, not an exception. */
export async function runCommand(cmd: string, args: string[], timeoutMs = 30_000): Promise<CommandResult> {
  try {
    const r = await exec(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } });
    return { code: 0, stdout: String(r.stdout), stderr: String(r.stderr) };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean; message: string };
    const code = typeof err.code === 'number' ? err.code : -1;
    const why = err.killed ? ` (killed after ${timeoutMs} ms)` : '';
    return { code, stdout: String(err.stdout ?? ''), stderr: String(err.stderr ?? err.message) + why };
  }
}

/** Like runCommand, but throws with the command's stderr when it fails. */
export async function mustRun(cmd: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await runCommand(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined when gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function listNetnsSync(): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
  } catch {
    return [];
  }
}

export function netnsPidsSync(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').map(Number).filter((n) => n > 0);
  } catch {
    return [];
  }
}

export async function addNetns(ns: string): Promise<void> {
  await mustRun('ip', ['netns', 'add', ns]);
  await mustRun('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
}

export interface VethEnd {
  netns: string;
  /** At most 15 characters (IFNAMSIZ). */
  device: string;
  /** CIDR, e.g. 10.77.3.1/24. */
  address: string;
}

/** A veth pair whose two ends live in two namespaces, addressed and up. */
export async function addVethPair(a: VethEnd, b: VethEnd): Promise<void> {
  await mustRun('ip', ['link', 'add', a.device, 'netns', a.netns, 'type', 'veth', 'peer', 'name', b.device, 'netns', b.netns]);
  for (const end of [a, b]) {
    await mustRun('ip', ['-n', end.netns, 'addr', 'add', end.address, 'dev', end.device]);
    await mustRun('ip', ['-n', end.netns, 'link', 'set', end.device, 'up']);
  }
}

export async function setLink(ns: string, device: string, state: 'up' | 'down'): Promise<void> {
  await mustRun('ip', ['-n', ns, 'link', 'set', device, state]);
}

/** True when this process may create network namespaces (root and a working `ip netns`). */
export function netnsUsableSync(): { ok: boolean; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'not running as root' };
  const probe = `hvs-probe-${process.pid}-${Date.now() % 100000}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
  } catch (e) {
    return { ok: false, why: `\`ip netns add\` failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}` };
  }
  try {
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
  } catch {
    // best effort: an empty probe namespace holds nothing
  }
  return { ok: true, why: '' };
}

function recordPath(runId: string): string {
  return path.join(RUNS_DIR, `${runId}.json`);
}

export function writeRecord(record: RunRecord): void {
  fs.mkdirSync(RUNS_DIR, { recursive: true });
  const file = recordPath(record.runId);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

export function readRecords(): RunRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(RUNS_DIR).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  for (const n of names) {
    try {
      out.push(JSON.parse(fs.readFileSync(path.join(RUNS_DIR, n), 'utf8')) as RunRecord);
    } catch {
      // a torn or foreign file: not provably ours, leave it
    }
  }
  return out;
}

/** The owner still runs (same PID and the same start time). */
export function ownerAlive(record: RunRecord): boolean {
  return processStartTime(record.ownerPid) === record.ownerStart;
}

/**
 * Synchronous, so it also works in a process 'exit' handler: SIGKILL every process inside the
 * run's namespaces, delete the namespaces (and with them the veths), remove the lab dir and the
 * record. Idempotent.
 */
export function sweepRecord(record: RunRecord): void {
  const existing = new Set(listNetnsSync());
  for (const ns of record.namespaces) {
    if (!existing.has(ns)) continue;
    for (const pid of netnsPidsSync(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const ns of record.namespaces) {
    if (!existing.has(ns)) continue;
    // A SIGKILLed process may hold the namespace for a moment; `ip netns del` only unmounts
    // the name, the kernel frees the namespace when its last process is reaped.
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
    } catch {
      // left for the next sweep; the record stays so it is still provably ours
      continue;
    }
  }
  if (listNetnsSync().some((ns) => record.namespaces.includes(ns))) return;
  // Only a dir named after this run, outside the bind-mounted trees, is ever removed.
  if (safeLabDir(record.labDir) && path.basename(record.labDir).includes(record.runId)) {
    fs.rmSync(record.labDir, { recursive: true, force: true });
  }
  fs.rmSync(recordPath(record.runId), { force: true });
}

/** Sweeps runs whose owner process is gone (a killed or crashed test run). Returns their ids. */
export function sweepStaleRuns(): string[] {
  const swept: string[] = [];
  for (const r of readRecords()) {
    if (r.ownerPid === process.pid || ownerAlive(r)) continue;
    sweepRecord(r);
    swept.push(r.runId);
  }
  return swept;
}

/** A lab dir must not sit under the trees each host bind-mounts over its own copy. */
export function safeLabDir(dir: string): boolean {
  const abs = path.resolve(dir);
  return abs !== '/' && !['/var', '/etc', '/run'].some((p) => abs === p || abs.startsWith(`${p}/`));
}
