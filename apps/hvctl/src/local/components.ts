/**
 * How each single-host component is started and probed: command, arguments, environment,
 * the ports it needs, and its health check. Order matters: each needs the ones before it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliError } from '../errors';
import { controllerEtcdTlsEnv, etcdTlsArgs, etcdTlsFiles } from './etcd-tls-files';
import { etcdHealthy, httpOk, redisPing, tcpOpen } from './health';
import type { ComponentName, Ports } from './state';

export interface ComponentSpec {
  name: ComponentName;
  /** Ports it listens on, with what each is for (named in port-in-use errors). */
  ports: { port: number; what: string; flag: string }[];
  /** Where people reach it. */
  address: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Creates directories and config files it needs (the agent's: its join token, on first start). */
  prepare(): void | Promise<void>;
  /** true when healthy; a string says why not yet. */
  probe(): Promise<true | string>;
  startTimeoutMs: number;
}

export interface SpecInput {
  dataDir: string;
  ports: Ports;
  /** HVS_LIBVIRT_URI for the agent. */
  agentUri: string;
  nodeName: string;
  repoRoot: string;
  /** Asks the controller whether the agent's Node exists (agent health). */
  nodeRegistered(): Promise<true | string>;
  /** A one-time join token bound to `nodeName`, from the running controller (secret: written to a 0600 file only). */
  joinToken(): Promise<string>;
  /** The environment children inherit (hvctl's own HVS_* variables removed). */
  baseEnv: NodeJS.ProcessEnv;
}

/** Agent tuning a person may set for `hvctl up`: hvctl neither reads nor sets these itself. */
const PASSED_THROUGH: ReadonlySet<string> = new Set(['HVS_AGENT_WORKERS']);

/** The environment without hvctl's own settings (HVS_CONFIG would name hvctl's file to the controller). */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('HVS_') || PASSED_THROUGH.has(k)));
}

/**
 * libuv's pool runs the agent's libvirt calls and file operations; its default of 4 threads
 * is fewer than the agent's 8 reconcile workers, so a burst would queue there.
 */
const AGENT_UV_THREADPOOL_SIZE = '12';

/**
 * Node flags for the agent, a small I/O-bound daemon (docs/node-agent.md, "Resource use";
 * bench/agent runs it with the same): a 1 MiB young generation and no optimizing compiler
 * (TurboFan) keep its idle RSS under 80 MiB with 50 VMs, at no CPU cost measured there.
 */
const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--no-opt'];

/** The repository root (holds apps/controller and apps/node-agent), from hvctl's own location. */
export function findRepoRoot(start = __dirname): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'hypervisor-suite') return dir;
    } catch {
      // keep walking up
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The agent's node name: the short host name when it is a DNS label (as the agent itself does), else `local`. */
export function localNodeName(): string {
  const n = os.hostname().split('.')[0]!.toLowerCase();
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n) ? n : 'local';
}

const ok = (b: boolean, why: string): true | string => (b ? true : why);

/** Where `hvctl up` leaves the local agent's join token (0600; removed once the agent is healthy). */
export function agentTokenFile(dataDir: string): string {
  return path.join(dataDir, 'agent', 'join-token');
}

/** The cluster CA the controller created in its data dir: the local context trusts it. */
export function controllerCaFile(dataDir: string): string {
  return path.join(dataDir, 'controller', 'pki', 'ca.crt');
}

/** The bootstrap admin's client certificate and key the controller keeps in its data dir (0600): the local context's identity. */
export function controllerAdminFiles(dataDir: string): { certFile: string; keyFile: string } {
  return { certFile: path.join(dataDir, 'controller', 'pki', 'admin.crt'), keyFile: path.join(dataDir, 'controller', 'pki', 'admin.key') };
}

/** etcd's --max-txn-ops in single-host mode, told to the controller too (HVS_ETCD_MAX_TXN_OPS). */
export const LOCAL_ETCD_MAX_TXN_OPS = 1024;

export function componentSpecs(i: SpecInput): Record<ComponentName, ComponentSpec> {
  const d = (...p: string[]) => path.join(i.dataDir, ...p);
  const p = i.ports;
  // TLS with client certificates on both etcd ports (docs/architecture/etcd-auth.md).
  const etcdClient = `https://127.0.0.1:${p.etcdClient}`;
  const etcdPeer = `https://127.0.0.1:${p.etcdPeer}`;
  const etcdTls = etcdTlsFiles(i.dataDir);
  // The controller dials etcd by name: grpc-js sends the dialled host as the TLS server name,
  // which an IP must not be (Node 20 warns, DEP0123; newer Nodes refuse). The server
  // certificate names both; etcd listens on 127.0.0.1 only.
  const etcdForController = `https://localhost:${p.etcdClient}`;
  // Before etcd or the controller starts: renews a leaf past 2/3 of its life (etcd reads its
  // certificate files again at each handshake, so a running etcd picks up a renewed one).
  const ensureEtcdTls = async () => void (await (await import('./etcd-tls.js')).ensureEtcdTls(i.dataDir));
  const redisConf = d('redis', 'redis.conf');
  const node = process.execPath;
  return {
    etcd: {
      name: 'etcd', address: etcdClient, command: 'etcd', env: i.baseEnv, startTimeoutMs: 30_000,
      ports: [{ port: p.etcdClient, what: 'etcd client', flag: '--etcd-port' }, { port: p.etcdPeer, what: 'etcd peer', flag: '--etcd-port (peer = port+1)' }],
      args: ['--logger=zap', '--log-level=warn', '--name', 'hvs-local', '--data-dir', d('etcd'),
        '--listen-client-urls', etcdClient, '--advertise-client-urls', etcdClient,
        '--listen-peer-urls', etcdPeer, '--initial-advertise-peer-urls', etcdPeer,
        '--initial-cluster', `hvs-local=${etcdPeer}`, '--initial-cluster-token', 'hvs-local',
        // One apply is one transaction: room for a few hundred objects with their audit records.
        '--max-txn-ops', String(LOCAL_ETCD_MAX_TXN_OPS), '--max-request-bytes', String(8 * 1024 * 1024), ...etcdTlsArgs(etcdTls)],
      prepare: async () => {
        fs.mkdirSync(d('etcd'), { recursive: true, mode: 0o700 });
        await ensureEtcdTls();
      },
      probe: async () => ok(await etcdHealthy(p.etcdClient, etcdTls), `GET ${etcdClient}/health with the client certificate in ${etcdTls.dir} is not {"health":"true"}`),
    },
    redis: {
      name: 'redis', address: `redis://127.0.0.1:${p.redis}`, command: 'redis-server', args: [redisConf], env: i.baseEnv, startTimeoutMs: 15_000,
      ports: [{ port: p.redis, what: 'redis', flag: '--redis-port' }],
      prepare: () => {
        fs.mkdirSync(d('redis'), { recursive: true, mode: 0o700 });
        // Queue state only: nothing needs to survive a restart, so no persistence.
        fs.writeFileSync(redisConf, [
          '# Written by `hvctl up`; rewritten on every start.', `port ${p.redis}`, 'bind 127.0.0.1', 'protected-mode yes',
          'save ""', 'appendonly no', `dir ${d('redis')}`, 'daemonize no', 'logfile ""', '',
        ].join('\n'), { mode: 0o600 });
      },
      probe: async () => ok(await redisPing(p.redis), `PING on 127.0.0.1:${p.redis} got no PONG`),
    },
    controller: {
      name: 'controller', address: `127.0.0.1:${p.controllerGrpc}`, command: node, startTimeoutMs: 60_000,
      args: [path.join(i.repoRoot, 'apps/controller/dist/main.js')],
      ports: [{ port: p.controllerGrpc, what: 'controller gRPC', flag: '--grpc-port' }, { port: p.controllerHttp, what: 'controller HTTP', flag: '--http-port' }],
      env: { ...i.baseEnv, HVS_ETCD_ENDPOINTS: etcdForController, HVS_REDIS_URL: `redis://127.0.0.1:${p.redis}`, HVS_GRPC_LISTEN: `127.0.0.1:${p.controllerGrpc}`,
        HVS_HTTP_LISTEN: `127.0.0.1:${p.controllerHttp}`, HVS_DATA_DIR: d('controller'),
        HVS_ETCD_MAX_TXN_OPS: String(LOCAL_ETCD_MAX_TXN_OPS), ...controllerEtcdTlsEnv(etcdTls) },
      prepare: async () => {
        fs.mkdirSync(d('controller'), { recursive: true, mode: 0o700 });
        await ensureEtcdTls();
      },
      probe: async () => {
        if (!(await httpOk(`http://127.0.0.1:${p.controllerHttp}/healthz`))) return `GET http://127.0.0.1:${p.controllerHttp}/healthz does not answer 200`;
        return ok(await tcpOpen(p.controllerGrpc), `the gRPC port 127.0.0.1:${p.controllerGrpc} does not accept connections`);
      },
    },
    agent: {
      name: 'agent', address: `127.0.0.1:${p.agent}`, command: node, startTimeoutMs: 60_000,
      args: [...AGENT_NODE_FLAGS, path.join(i.repoRoot, 'apps/node-agent/dist/main.js')],
      ports: [{ port: p.agent, what: 'agent gRPC', flag: '--agent-port' }, { port: p.agentMetrics, what: 'agent metrics', flag: '--agent-port (metrics = port+2000)' }],
      env: { ...i.baseEnv, HVS_AGENT_LISTEN: `127.0.0.1:${p.agent}`, HVS_JOIN: `127.0.0.1:${p.controllerGrpc}`, HVS_JOIN_TOKEN_FILE: agentTokenFile(i.dataDir),
        HVS_LIBVIRT_URI: i.agentUri, HVS_AGENT_STATE_DIR: d('agent'), HVS_NODE_NAME: i.nodeName, HVS_AGENT_METRICS_LISTEN: `127.0.0.1:${p.agentMetrics}`,
        UV_THREADPOOL_SIZE: i.baseEnv.UV_THREADPOOL_SIZE ?? AGENT_UV_THREADPOOL_SIZE },
      // First start: a token bound to this node, handed over in a 0600 file (never argv); a
      // joined agent (node.crt present) ignores it, so none is made.
      prepare: async () => {
        fs.mkdirSync(d('agent'), { recursive: true, mode: 0o700 });
        fs.rmSync(agentTokenFile(i.dataDir), { force: true });
        if (fs.existsSync(d('agent', 'pki', 'node.crt'))) return;
        fs.writeFileSync(agentTokenFile(i.dataDir), `${await i.joinToken()}\n`, { mode: 0o600, flag: 'wx' });
      },
      probe: async () => {
        if (!(await tcpOpen(p.agent))) return `the agent port 127.0.0.1:${p.agent} does not accept connections`;
        return i.nodeRegistered();
      },
    },
  };
}

/** The controller and agent run from the build output; say how to build when it is missing. */
export function checkBuilt(repoRoot: string | undefined, names: readonly ComponentName[]): void {
  const need = names.flatMap((n) => (n === 'controller' ? ['apps/controller/dist/main.js'] : n === 'agent' ? ['apps/node-agent/dist/main.js'] : []));
  if (need.length === 0) return;
  if (!repoRoot) {
    throw cliError('HVS-UP-REPO-NOT-FOUND', 'cannot find the Hypervisor Suite checkout that holds the controller and agent',
      'run hvctl from the repository (node apps/hvctl/dist/main.js up), or `npm start` from the checkout');
  }
  const missing = need.filter((f) => !fs.existsSync(path.join(repoRoot, f)));
  if (missing.length > 0) {
    throw cliError('HVS-UP-NOT-BUILT', `the build output ${missing.join(' and ')} is missing in ${repoRoot}`,
      `run \`npm run build\` in ${repoRoot} (or \`npm start\`, which installs, builds and runs hvctl up)`, 'hvctl up runs the controller and agent from their dist/ folders');
  }
}
