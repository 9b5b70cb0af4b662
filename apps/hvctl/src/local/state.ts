/**
 * The single-host state file `<data dir>/state.json`: which components hvctl started, their
 * PIDs (with start times), ports and logs. Written atomically after every start and stop, so
 * `hvctl down` can always stop what an interrupted `hvctl up` left running.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const COMPONENTS = ['etcd', 'redis', 'controller', 'agent'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  redis: number;
  controllerGrpc: number;
  controllerHttp: number;
  agent: number;
  agentMetrics: number;
}

/** Fixed defaults, away from the services' own defaults (2379, 6379) a host may already run. */
export const DEFAULT_PORTS: Ports = {
  etcdClient: 12379, etcdPeer: 12380, redis: 16379, controllerGrpc: 7443, controllerHttp: 7480, agent: 7450, agentMetrics: 9450,
};

export interface ComponentRecord {
  pid: number;
  startTime: string;
  startedAt: string;
  log: string;
}

export interface LocalState {
  dataDir: string;
  ports: Ports;
  hypervisor?: { mode: string; uri: string; reason: string };
  /**
   * How etcd authenticates clients, set once this hvctl started etcd or the controller; absent
   * when an hvctl from before etcd auth started them (plain HTTP, no auth): such a running etcd
   * or controller must be restarted before anything else is.
   */
  etcdAuth?: 'client-tls';
  components: Partial<Record<ComponentName, ComponentRecord>>;
}

export function statePath(dataDir: string): string {
  return path.join(dataDir, 'state.json');
}

export function readState(dataDir: string): LocalState | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(statePath(dataDir), 'utf8')) as LocalState;
    return { ...s, ports: { ...DEFAULT_PORTS, ...s.ports }, components: s.components ?? {} };
  } catch {
    return undefined;
  }
}

export function writeState(state: LocalState): void {
  const file = statePath(state.dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function removeState(dataDir: string): void {
  fs.rmSync(statePath(dataDir), { force: true });
}
