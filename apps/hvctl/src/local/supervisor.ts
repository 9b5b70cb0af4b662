/**
 * `hvctl up|down|status` without the CLI: start the single-host components as detached
 * processes in order, wait until each is healthy, record them in the state file; stop them
 * in reverse order by PID. Guarantees: a second `up` on a healthy system starts nothing; an
 * `up` that fails stops what it started itself (earlier components stay recorded, so
 * `down` can stop them); nothing is signalled unless PID and start time both match.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HvsError, type Problem } from '@hvs/domain';
import { cliError } from '../errors';
import type { CliIo } from '../io';
import { formatDuration } from '../printers/table';
import { agentTokenFile, checkBuilt, childEnv, componentSpecs, findRepoRoot, localNodeName, type ComponentSpec } from './components';
import { hypervisorForAgent, type HypervisorPlan, type HypervisorProbes, type HypervisorWish } from './hypervisor';
import { freePort, isOurs, portFree, spawnDetached, stopProcess, whoListens } from './procs';
import { COMPONENTS, DEFAULT_PORTS, readState, removeState, writeState, type ComponentName, type LocalState, type Ports } from './state';

export interface LocalOptions {
  dataDir: string;
  io: CliIo;
  /** Default: all four. Tests start only etcd and redis. */
  components?: readonly ComponentName[];
  ports?: Partial<Ports>;
  /** Pick free ports instead of the defaults (first start only; later starts reuse the recorded ones). */
  autoPorts?: boolean;
  hypervisor?: HypervisorWish;
  hypervisorProbes?: HypervisorProbes;
  repoRoot?: string;
  nodeRegistered?: (state: LocalState) => Promise<true | string>;
  /** A join token for the local agent from the running controller (first start of the agent). */
  joinToken?: (state: LocalState) => Promise<string>;
  /** SIGTERM grace before SIGKILL, default 15 s. */
  stopGraceMs?: number;
}

export interface UpResult {
  alreadyRunning: boolean;
  state: LocalState;
  started: ComponentName[];
  hypervisor?: HypervisorPlan;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function logPath(dataDir: string, name: ComponentName): string {
  return path.join(dataDir, 'logs', `${name}.log`);
}

/** Creates the data dir and proves it writable; HVS-UP-DATA-DIR-NOT-WRITABLE otherwise. */
export function ensureDataDir(dataDir: string): void {
  try {
    fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
    const probe = path.join(dataDir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (e) {
    throw cliError('HVS-UP-DATA-DIR-NOT-WRITABLE', `the data directory ${dataDir} cannot be used`,
      `choose another with --data-dir DIR, or make it yours: sudo chown -R "$(id -un)" ${dataDir}`, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
}

/** One `up`/`down` at a time per data dir: `<data dir>/lock` holds the PID of the one working. */
function lock(dataDir: string): () => void {
  const file = path.join(dataDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = pid !== process.pid;
      } catch {
        alive = false;
      }
      if (alive) {
        throw cliError('HVS-UP-BUSY', `another hvctl (pid ${pid}) is starting or stopping the system in ${dataDir}`,
          `wait for it to finish; if no such process exists, remove ${file}`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw cliError('HVS-UP-BUSY', `cannot take the lock ${file}`, `remove ${file} if no hvctl is running`);
}

export function findBinary(name: string, env: NodeJS.ProcessEnv): string | undefined {
  // PATH, plus the sbin folders a non-login root shell may lack.
  const dirs = [...(env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const f = path.join(dir, name);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return f;
    } catch {
      // next
    }
  }
  return undefined;
}

function specsFor(opts: LocalOptions, state: LocalState, agentUri: string): Record<ComponentName, ComponentSpec> {
  return componentSpecs({
    dataDir: opts.dataDir, ports: state.ports, agentUri, nodeName: localNodeName(), repoRoot: opts.repoRoot ?? findRepoRoot() ?? '',
    baseEnv: childEnv(opts.io.env), nodeRegistered: () => (opts.nodeRegistered ? opts.nodeRegistered(state) : Promise.resolve(true)),
    joinToken: () => (opts.joinToken ? opts.joinToken(state) : Promise.reject(new Error('no way to get a join token (joinToken option unset)'))),
  });
}

async function choosePorts(opts: LocalOptions): Promise<Ports> {
  const ports = { ...DEFAULT_PORTS, ...(opts.ports ?? {}) };
  if (opts.autoPorts) for (const k of Object.keys(ports) as (keyof Ports)[]) ports[k] = await freePort();
  return ports;
}

/** Every problem that would stop a start, found before anything starts. */
async function preflight(opts: LocalOptions, specs: ComponentSpec[]): Promise<void> {
  const problems: Problem[] = [];
  for (const s of specs) {
    if ((s.name === 'etcd' || s.name === 'redis') && !findBinary(s.command, opts.io.env)) {
      const pkg = s.name === 'etcd' ? 'etcd-server' : 'redis-server';
      problems.push({ code: `HVS-UP-${s.name.toUpperCase()}-MISSING`, message: `the \`${s.command}\` program is not installed`,
        why: `hvctl up runs ${s.name} from the Debian package ${pkg}`, fix: `run \`npm start\` (it installs what is missing), or: sudo apt-get install -y ${pkg}` });
    }
    for (const p of s.ports) {
      if (await portFree(p.port)) continue;
      const who = whoListens(p.port);
      problems.push({ code: 'HVS-UP-PORT-IN-USE', message: `port ${p.port} (${p.what}) on 127.0.0.1 is already in use${who ? ` by pid ${who.pid} (${who.command})` : ''}`,
        why: `${s.name} needs it`, fix: `stop that process${who ? ` (kill ${who.pid})` : ''}, or choose another port with ${p.flag} N, or let hvctl pick free ports with --ports auto` });
    }
  }
  if (problems.length > 0) throw new HvsError({ ...problems[0]!, category: 'FailedPrecondition', problems });
}

function logTail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function awaitHealthy(spec: ComponentSpec, pid: { pid: number; startTime: string }, log: string): Promise<number> {
  const start = Date.now();
  let why = 'not probed yet';
  while (Date.now() - start < spec.startTimeoutMs) {
    if (!isOurs(pid.pid, pid.startTime)) {
      throw cliError(`HVS-UP-${spec.name.toUpperCase()}-EXITED`, `${spec.name} exited during start-up`,
        `read its log ${log}; the last lines are:\n${logTail(log)}`, 'the process ended before it became healthy');
    }
    const r = await spec.probe();
    if (r === true) return Date.now() - start;
    why = r;
    await sleep(200);
  }
  throw cliError(`HVS-UP-${spec.name.toUpperCase()}-UNHEALTHY`, `${spec.name} did not become healthy within ${formatDuration(spec.startTimeoutMs)}`,
    `read its log ${log}; the last lines are:\n${logTail(log)}`, why);
}

/**
 * An etcd started by an hvctl from before etcd auth still runs without it, and a controller it
 * started was told no credentials: restarting only some components would mix the two. The data
 * needs nothing (client TLS changes how etcd listens, not what it stores), so the way out is a
 * full restart, which turns auth on and keeps every object.
 */
function refuseEtcdWithoutAuth(previous: LocalState): void {
  if (previous.etcdAuth !== undefined) return;
  const old = (['etcd', 'controller'] as const).filter((c) => {
    const r = previous.components[c];
    return r !== undefined && isOurs(r.pid, r.startTime);
  });
  if (old.length === 0) return;
  throw cliError('HVS-UP-ETCD-AUTH-RESTART',
    `${old.map((c) => `${c} (pid ${previous.components[c]!.pid})`).join(' and ')} in ${previous.dataDir} ${old.length > 1 ? 'were' : 'was'} started by an earlier hvctl, with etcd without authentication`,
    `run \`hvctl down --data-dir ${previous.dataDir}\`, then \`hvctl up\` again: etcd restarts with client TLS and keeps its data`,
    'hvctl up now starts etcd with client-certificate TLS only (and the controller with its certificate), and cannot switch running ones over');
}

export async function upLocal(opts: LocalOptions): Promise<UpResult> {
  const wanted = COMPONENTS.filter((c) => (opts.components ?? COMPONENTS).includes(c));
  ensureDataDir(opts.dataDir);
  const unlock = lock(opts.dataDir);
  try {
    const previous = readState(opts.dataDir);
    const anyAlive = previous !== undefined && Object.values(previous.components).some((r) => r && isOurs(r.pid, r.startTime));
    if (anyAlive) refuseEtcdWithoutAuth(previous!);
    const state: LocalState = anyAlive ? previous! : { dataDir: opts.dataDir, ports: previous?.ports && !opts.autoPorts && !opts.ports ? previous.ports : await choosePorts(opts), components: {} };
    for (const c of COMPONENTS) {
      const r = state.components[c];
      if (r && !isOurs(r.pid, r.startTime)) delete state.components[c];
    }
    const probeSpecs = specsFor(opts, state, state.hypervisor?.uri ?? 'auto');
    const healthy = new Set<ComponentName>();
    for (const c of wanted) if (state.components[c] && (await probeSpecs[c].probe()) === true) healthy.add(c);
    if (healthy.size === wanted.length) return { alreadyRunning: true, state, started: [] };

    const toStart = wanted.filter((c) => !healthy.has(c));
    // Alive but unhealthy: restart it (its log keeps what went wrong).
    for (const c of toStart) {
      const r = state.components[c];
      if (r) {
        opts.io.err(`${c} (pid ${r.pid}) is running but not healthy: restarting it\n`);
        await stopProcess(r, opts.stopGraceMs ?? 15_000, sleep);
        delete state.components[c];
      }
    }
    checkBuilt(opts.repoRoot ?? findRepoRoot(), toStart);
    let hv: HypervisorPlan | undefined;
    if (toStart.includes('agent')) {
      hv = await hypervisorForAgent(opts.hypervisor ?? 'auto', state.hypervisor, anyAlive, path.join(opts.dataDir, 'agent', 'test-node.xml'), opts.hypervisorProbes);
      state.hypervisor = { mode: hv.mode, uri: hv.agentUri, reason: hv.reason };
    }
    const specs = specsFor(opts, state, hv?.agentUri ?? state.hypervisor?.uri ?? 'auto');
    await preflight(opts, toStart.map((c) => specs[c]));
    for (const c of toStart) if (c === 'etcd' || c === 'redis') specs[c].command = findBinary(specs[c].command, opts.io.env)!;
    // Both are configured for etcd's client TLS from now on (see refuseEtcdWithoutAuth).
    if (toStart.includes('etcd') || toStart.includes('controller')) state.etcdAuth = 'client-tls';
    writeState(state);

    const startedNow: ComponentName[] = [];
    try {
      for (const c of toStart) {
        const spec = specs[c];
        try {
          await spec.prepare();
        } catch (e) {
          throw cliError(`HVS-UP-${c.toUpperCase()}-PREPARE-FAILED`, `cannot prepare ${c}'s files in ${opts.dataDir}`,
            `check that ${opts.dataDir} is yours and writable, or use another --data-dir`, (e as Error).message);
        }
        const log = logPath(opts.dataDir, c);
        const p = spawnDetached(spec.command, spec.args, { env: spec.env, cwd: opts.dataDir, logFile: log });
        state.components[c] = { pid: p.pid, startTime: p.startTime, startedAt: new Date().toISOString(), log };
        writeState(state);
        startedNow.push(c);
        const ms = await awaitHealthy(spec, p, log);
        opts.io.err(`${c.padEnd(10)} started  pid ${String(p.pid).padEnd(7)} ${spec.address.padEnd(24)} healthy in ${formatDuration(ms)}\n`);
        if (c === 'agent') fs.rmSync(agentTokenFile(opts.dataDir), { force: true }); // used up; nothing secret stays behind
      }
    } catch (e) {
      for (const c of [...startedNow].reverse()) {
        const r = state.components[c];
        if (r) await stopProcess(r, 5_000, sleep);
        delete state.components[c];
      }
      writeState(state);
      throw e;
    }
    return { alreadyRunning: false, state, started: startedNow, ...(hv ? { hypervisor: hv } : {}) };
  } finally {
    unlock();
  }
}

export interface ComponentStatus {
  name: ComponentName;
  pid?: number;
  address: string;
  state: 'healthy' | 'unhealthy' | 'stopped';
  detail?: string;
  log: string;
}

export async function statusLocal(opts: LocalOptions): Promise<{ state?: LocalState; components: ComponentStatus[] }> {
  const state = readState(opts.dataDir);
  if (!state) return { components: [] };
  const specs = specsFor(opts, state, state.hypervisor?.uri ?? 'auto');
  const components: ComponentStatus[] = [];
  for (const c of COMPONENTS) {
    const r = state.components[c];
    const base = { name: c, address: specs[c].address, log: logPath(opts.dataDir, c) };
    if (!r) continue;
    if (!isOurs(r.pid, r.startTime)) {
      components.push({ ...base, pid: r.pid, state: 'stopped', detail: 'the process is gone (see its log)' });
      continue;
    }
    const probe = await specs[c].probe();
    components.push({ ...base, pid: r.pid, state: probe === true ? 'healthy' : 'unhealthy', ...(probe === true ? {} : { detail: probe }) });
  }
  return { state, components };
}

/** Stops every recorded component, last started first. Returns what happened to each. */
export async function downLocal(opts: LocalOptions, beforeStop?: (state: LocalState) => Promise<void>): Promise<{ name: ComponentName; pid: number; result: string }[]> {
  const state = readState(opts.dataDir);
  if (!state) return [];
  const unlock = lock(opts.dataDir);
  try {
    if (beforeStop) await beforeStop(state);
    const out: { name: ComponentName; pid: number; result: string }[] = [];
    for (const c of [...COMPONENTS].reverse()) {
      const r = state.components[c];
      if (!r) continue;
      const result = await stopProcess(r, opts.stopGraceMs ?? 15_000, sleep);
      out.push({ name: c, pid: r.pid, result });
      delete state.components[c];
      writeState(state);
    }
    removeState(opts.dataDir);
    return out;
  } finally {
    unlock();
  }
}
