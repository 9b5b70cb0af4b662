/**
 * Running the product as a user does, for the e2e specs: `hvctl` (the built CLI) and
 * `npm start` as child processes with a deadline each, inside a sandbox folder that also
 * holds HOME, the XDG folders and TMPDIR, so a file written anywhere else is a finding.
 * Cleanup works from the PIDs in hvctl's own state file (with their start times), so it
 * can stop what an interrupted `hvctl up` left behind.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const HVCTL_MAIN = path.join(REPO, 'apps/hvctl/dist/main.js');

export interface Sandbox {
  root: string;
  /** `hvctl up --data-dir`; the contexts file (HVS_CONFIG) lives here too. */
  dataDir: string;
  /** HOME, XDG_* and TMPDIR of every process: must stay empty. */
  home: string;
  tmp: string;
  env: NodeJS.ProcessEnv;
}

export function makeSandbox(name: string): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `hvs-e2e-${name}-`));
  const dataDir = path.join(root, 'data');
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'tmp');
  for (const d of [dataDir, home, tmp]) fs.mkdirSync(d, { recursive: true });
  // The developer's own HVS_* settings (a context, another config file) must not leak in.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HVS_')));
  const env: NodeJS.ProcessEnv = {
    ...base, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local/share'),
    XDG_CACHE_HOME: path.join(home, '.cache'), XDG_STATE_HOME: path.join(home, '.local/state'), TMPDIR: tmp,
    HVS_CONFIG: path.join(dataDir, 'hvctl.yaml'), NO_COLOR: '1',
  };
  return { root, dataDir, home, tmp, env };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a command in its own process group; after `timeoutMs` the whole group gets SIGKILL
 * and the result says timedOut. Never rejects for a non-zero exit (tests assert on it).
 */
export function run(command: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number; input?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env, cwd: opts.cwd ?? REPO, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** `hvctl ARGS` as the sandbox's user; a failure message carries both output streams. */
export function hvctl(sb: Sandbox, args: string[], timeoutMs = 30_000, input?: string): Promise<RunResult> {
  return run(process.execPath, [HVCTL_MAIN, ...args], { env: sb.env, timeoutMs, ...(input !== undefined ? { input } : {}) });
}

export function describeRun(what: string, r: RunResult): string {
  return `${what}: exit ${r.code}${r.timedOut ? ' (timed out, killed)' : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Asserts exit code `want`, showing the whole output when it differs. */
export function expectExit(what: string, r: RunResult, want: number): RunResult {
  if (r.code !== want || r.timedOut) throw new Error(`expected exit ${want}\n${describeRun(what, r)}`);
  return r;
}

export interface RecordedProcess {
  name: string;
  pid: number;
  startTime: string;
}

/** The components hvctl recorded in `<data dir>/state.json` (empty when there is none). */
export function recordedProcesses(dataDir: string): RecordedProcess[] {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dataDir, 'state.json'), 'utf8')) as { components?: Record<string, { pid: number; startTime: string }> };
    return Object.entries(s.components ?? {}).map(([name, r]) => ({ name, pid: r.pid, startTime: r.startTime }));
  } catch {
    return [];
  }
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** Still running and still the same process (a reused PID does not count). */
export function stillRunning(p: RecordedProcess): boolean {
  return startTimeOf(p.pid) === p.startTime;
}

/** PIDs of live processes whose command line or working directory is inside `dir`. */
export function processesUsing(dir: string): { pid: number; what: string }[] {
  const out: { pid: number; what: string }[] = [];
  for (const d of fs.readdirSync('/proc').filter((x) => /^[0-9]+$/.test(x))) {
    const pid = Number(d);
    if (pid === process.pid || startTimeOf(pid) === undefined) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
      let cwd = '';
      try {
        cwd = fs.readlinkSync(`/proc/${d}/cwd`);
      } catch {
        // exited meanwhile, or not ours to read
      }
      if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) out.push({ pid, what: cmdline.slice(0, 160) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Every file and folder below `dir`, relative, sorted (for "nothing was written here"). */
export function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

/**
 * Afterwards, whatever happened: `hvctl down`, then SIGKILL by PID (start time checked) for
 * anything recorded that still runs, then the sandbox goes. `seen` holds every process the
 * test saw recorded, in case the state file itself is gone.
 */
export async function teardown(sb: Sandbox | undefined, seen: RecordedProcess[]): Promise<void> {
  if (!sb) return;
  const all = [...seen, ...recordedProcesses(sb.dataDir)];
  if (all.some(stillRunning)) await hvctl(sb, ['down', '--data-dir', sb.dataDir, '--timeout', '5s'], 60_000).catch(() => undefined);
  for (const p of all.filter(stillRunning)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  fs.rmSync(sb.root, { recursive: true, force: true });
}
