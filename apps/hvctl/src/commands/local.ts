/** `hvctl up`, `hvctl down`, `hvctl status`: the single-host system (etcd, Redis, controller, agent). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllerClient } from '../client/controller-client';
import { readConfig, upsertContext, writeConfig, type Context } from '../config/contexts';
import { CliExit, EXIT, formatError, usageError } from '../errors';
import { colourStatus } from '../printers/colour';
import { renderTable } from '../printers/table';
import { simulatedBanner, type HypervisorMode, type HypervisorPlan, type HypervisorWish } from '../local/hypervisor';
import { controllerAdminFiles, controllerCaFile, localNodeName } from '../local/components';
import { COMPONENTS, type ComponentName, type LocalState, type Ports } from '../local/state';
import { downLocal, statusLocal, upLocal, type LocalOptions } from '../local/supervisor';
import { parseDurationFlag, type Runtime } from './runtime';

/** root: /var/lib/hvs (next to the packaged services); others: $XDG_DATA_HOME/hvs or ~/.local/share/hvs. */
export function defaultDataDir(env: NodeJS.ProcessEnv, uid = process.getuid?.() ?? 1000): string {
  if (uid === 0) return '/var/lib/hvs';
  const home = env.HOME || os.homedir();
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'hvs');
}

function port(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw usageError(`${flag} "${raw}" is not a port`, `give a number from 1 to 65535, e.g. ${flag} 17443`);
  return n;
}

export interface DownFlags { dataDir?: string; stopVms?: boolean; timeout: string }

export interface UpFlags {
  dataDir?: string; ports?: string; etcdPort?: string; redisPort?: string; grpcPort?: string; httpPort?: string; agentPort?: string;
  hypervisor: string; components?: string;
}

/** The local controller over TLS, trusting the CA it created in its data dir, as its bootstrap admin (client certificate). */
function localContext(state: LocalState): Context {
  // Before the controller's first start there is no admin certificate yet: the call then fails
  // for what is really wrong (the controller does not answer), not for a missing file.
  const admin = controllerAdminFiles(state.dataDir);
  const identity = fs.existsSync(admin.keyFile) ? admin : {};
  return { name: 'local', controller: `127.0.0.1:${state.ports.controllerGrpc}`, credentials: { type: 'tls', caFile: controllerCaFile(state.dataDir), ...identity } };
}

function localClient(state: LocalState, timeoutMs: number): ControllerClient {
  return new ControllerClient(localContext(state), timeoutMs);
}

/** A token bound to the local node, valid 10 minutes: only the agent `up` is starting uses it. */
async function localJoinToken(state: LocalState): Promise<string> {
  // The controller writes its bootstrap admin's certificate just after it starts and records it
  // in etcd right after that: until then the local context has no credential
  // (HVS-AUTH-UNAUTHENTICATED) or one not on record yet (HVS-AUTH-CREDENTIAL-INVALID). Wait that out briefly.
  for (let attempt = 1; ; attempt++) {
    const client = localClient(state, 10_000);
    try {
      return (await client.createJoinToken({ ttlSeconds: 600, nodeName: localNodeName(), replace: false, uses: 0 })).token;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (attempt >= ADMIN_RECORD_ATTEMPTS || (code !== 'HVS-AUTH-CREDENTIAL-INVALID' && code !== 'HVS-AUTH-UNAUTHENTICATED')) throw e;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      client.close();
    }
  }
}

/** 20 tries, 500 ms apart: how long `up` waits for the controller to record its bootstrap admin. */
const ADMIN_RECORD_ATTEMPTS = 20;

async function nodeRegistered(state: LocalState): Promise<true | string> {
  const client = localClient(state, 2_000);
  try {
    await client.get('Node', localNodeName());
    return true;
  } catch (e) {
    return `the agent's Node "${localNodeName()}" is not registered yet (${(e as Error).message})`;
  } finally {
    client.close();
  }
}

function localOptions(rt: Runtime, dataDir: string | undefined): LocalOptions {
  return { dataDir: path.resolve(dataDir ?? defaultDataDir(rt.io.env)), io: rt.io, nodeRegistered, joinToken: localJoinToken };
}

/** `hvctl up`: starts what is missing, writes the context "local", prints the status. */
export async function runUp(rt: Runtime, f: UpFlags): Promise<void> {
  if (f.ports !== undefined && f.ports !== 'auto') throw usageError(`--ports ${f.ports} is not supported`, 'use --ports auto, or set single ports with --etcd-port/--redis-port/--grpc-port/--http-port/--agent-port');
  if (!['auto', 'kvm', 'qemu', 'test'].includes(f.hypervisor)) throw usageError(`--hypervisor ${f.hypervisor} is not a mode`, 'use auto, kvm, qemu or test');
  const ports: Partial<Ports> = {};
  const etcd = port('--etcd-port', f.etcdPort);
  if (etcd) Object.assign(ports, { etcdClient: etcd, etcdPeer: etcd + 1 });
  const redis = port('--redis-port', f.redisPort);
  if (redis) ports.redis = redis;
  const grpc = port('--grpc-port', f.grpcPort);
  if (grpc) ports.controllerGrpc = grpc;
  const http = port('--http-port', f.httpPort);
  if (http) ports.controllerHttp = http;
  const agent = port('--agent-port', f.agentPort);
  if (agent) Object.assign(ports, { agent, agentMetrics: agent + 2000 });
  const components = f.components ? f.components.split(',').map((s) => s.trim()) : [...COMPONENTS];
  const bad = components.filter((c) => !(COMPONENTS as readonly string[]).includes(c));
  if (bad.length > 0) throw usageError(`unknown component(s) ${bad.join(', ')}`, `use some of ${COMPONENTS.join(', ')}`);
  const opts: LocalOptions = {
    ...localOptions(rt, f.dataDir), components: components as ComponentName[], autoPorts: f.ports === 'auto',
    ...(Object.keys(ports).length > 0 ? { ports } : {}), hypervisor: f.hypervisor as HypervisorWish,
  };
  const res = await upLocal(opts);
  if (res.alreadyRunning) rt.io.err(`Already running in ${opts.dataDir}: nothing to do.\n`);
  const hv: HypervisorPlan | undefined = res.hypervisor ?? (res.state.hypervisor ? { mode: res.state.hypervisor.mode as HypervisorMode, agentUri: res.state.hypervisor.uri, reason: res.state.hypervisor.reason } : undefined);
  if (hv && components.includes('agent')) {
    rt.io.err(`Hypervisor: ${hv.mode} (${hv.reason})\n`);
    const banner = simulatedBanner(hv);
    if (banner) rt.io.err(`${rt.palette('err').yellow(banner)}\n`);
  }
  if (components.includes('controller')) {
    const cfg = readConfig(rt.io.env);
    const file = writeConfig(rt.io.env, upsertContext(cfg, localContext(res.state), true));
    rt.io.err(`Context "local" (controller 127.0.0.1:${res.state.ports.controllerGrpc}) is current in ${file}.\n`);
  }
  await printStatus(rt, opts);
  if (!res.alreadyRunning && components.includes('agent')) rt.io.err('Next: hvctl get nodes; hvctl apply -f examples/quickstart.yaml --wait\n');
}

/** `hvctl down`: stops the components in reverse order (the VMs first with --stop-vms). */
export async function runDown(rt: Runtime, f: DownFlags): Promise<void> {
  const opts = { ...localOptions(rt, f.dataDir), stopGraceMs: parseDurationFlag('--timeout', f.timeout) };
  let vmsOk = true;
  const stopped = await downLocal(opts, f.stopVms ? async (state) => {
    vmsOk = await stopAllVms(rt, state);
  } : undefined);
  if (stopped.length === 0) {
    rt.io.err(`Nothing is running from ${opts.dataDir}.\n`);
    return;
  }
  for (const s of stopped) rt.io.out(`${s.name.padEnd(10)} pid ${String(s.pid).padEnd(7)} ${s.result === 'exited' ? 'stopped' : s.result === 'killed' ? 'killed after the grace period' : 'was not running'}\n`);
  if (!vmsOk) throw new CliExit(EXIT.error);
}

/** `hvctl status`: exit 1 unless every component is healthy. */
export async function runStatus(rt: Runtime, f: { dataDir?: string }): Promise<void> {
  const opts = localOptions(rt, f.dataDir);
  if (!(await printStatus(rt, opts))) throw new CliExit(EXIT.error);
}

async function printStatus(rt: Runtime, opts: LocalOptions): Promise<boolean> {
  const { state, components } = await statusLocal(opts);
  if (!state || components.length === 0) {
    rt.io.err(`Not running: no components recorded in ${opts.dataDir}. Start them with \`hvctl up\`.\n`);
    return false;
  }
  const p = rt.palette();
  rt.io.out(renderTable(['COMPONENT', 'PID', 'ADDRESS', 'STATUS', 'DETAIL'], components.map((c) => [
    c.name, c.pid !== undefined ? String(c.pid) : '-', c.address, colourStatus(p, c.state), c.detail ?? (c.state === 'healthy' ? '' : `log: ${c.log}`),
  ])));
  return components.every((c) => c.state === 'healthy');
}

/**
 * Stops every VM through the API before the processes go. A failure is reported and the
 * components are stopped anyway (the VMs then keep running, as without --stop-vms).
 */
async function stopAllVms(rt: Runtime, state: LocalState): Promise<boolean> {
  if (!state.components.controller || !state.components.agent) return true;
  let client: ControllerClient | undefined;
  try {
    client = localClient(state, 10_000); // throws when the controller never made its CA
    const vms = (await client.list('VirtualMachine')).items.map((o) => o.metadata?.name ?? '').filter(Boolean);
    if (vms.length === 0) return true;
    rt.io.err(`stopping ${vms.length} VM(s)...\n`);
    const res = await client.vmAction('stop', { names: vms, labelSelector: '', force: false, wait: true, waitTimeoutMs: 120_000 });
    const failed = res.results.filter((r) => !r.ok);
    rt.io.err(`${res.results.length - failed.length} VM(s) stopped, ${failed.length} failed${failed.length ? `: ${failed.map((r) => r.name).join(', ')}` : ''}\n`);
    return failed.length === 0;
  } catch (e) {
    rt.io.err(`could not stop the VMs (they keep running): ${formatError(e, rt.debug)}`);
    return false;
  } finally {
    client?.close();
  }
}
