/**
 * Starts Debian's `etcd` as a single-member cluster on free loopback ports with a temp data
 * dir. Guarantees: `startEtcd` resolves only once /health answers true (or throws with etcd's
 * output); `stop` kills by PID, waits for the exit and removes the temp dir; `restart` keeps
 * the same data dir and ports (same endpoint), so clients can reconnect.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { requireBinary } from './binaries';
import { captureOutput, freePort, spawnTracked, stopProcess, untilHealthyOrExit } from './processes';

export interface EtcdOptions {
  /** Data dir to use (kept on stop); default: a fresh temp dir removed on stop. */
  dataDir?: string;
  /** Deadline for the health check per start, default 15 s. */
  startTimeoutMs?: number;
  /** More etcd flags, e.g. ['--max-txn-ops', '1024'] (kept across restart()). */
  args?: string[];
}

export interface EtcdInstance {
  /** `http://127.0.0.1:<port>`: pass to clients as their host. */
  endpoint: string;
  readonly pid: number;
  dataDir: string;
  /** Graceful stop (SIGTERM, then SIGKILL after a grace period); removes a temp data dir. */
  stop(): Promise<void>;
  /** SIGKILL, wait for exit; the data dir stays so `restart()` can bring the same member back. */
  kill9(): Promise<void>;
  /** Stops (if running) and starts again on the same ports and data dir; resolves when healthy. */
  restart(): Promise<void>;
}

const MAX_PORT_ATTEMPTS = 5;

export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdInstance> {
  const bin = requireBinary('etcd', 'etcd-server');
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-etcd-'));
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let lastFailure: Error | undefined;
  for (let attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt++) {
    const clientPort = await freePort();
    const peerPort = await freePort();
    if (clientPort === peerPort) continue;
    try {
      const child = await launch(bin, dataDir, clientPort, peerPort, timeoutMs, options.args ?? []);
      return instance(bin, dataDir, ownDir, clientPort, peerPort, timeoutMs, child, options.args ?? []);
    } catch (e) {
      lastFailure = e as Error;
      if (!/address already in use/.test(lastFailure.message)) break;
    }
  }
  if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
  throw lastFailure ?? new Error('etcd did not start: no free port pair found');
}

function instance(bin: string, dataDir: string, ownDir: boolean, clientPort: number, peerPort: number,
  timeoutMs: number, first: ChildProcess, args: string[]): EtcdInstance {
  let child = first;
  let removed = false;
  return {
    endpoint: `http://127.0.0.1:${clientPort}`,
    dataDir,
    get pid() {
      return child.pid ?? -1;
    },
    async stop() {
      await stopProcess(child, 'SIGTERM');
      if (ownDir && !removed) {
        removed = true;
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
    async kill9() {
      await stopProcess(child, 'SIGKILL');
    },
    async restart() {
      await stopProcess(child, 'SIGTERM');
      child = await launch(bin, dataDir, clientPort, peerPort, timeoutMs, args);
    },
  };
}

async function launch(bin: string, dataDir: string, clientPort: number, peerPort: number, timeoutMs: number, args: string[]): Promise<ChildProcess> {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawnTracked(bin, [
    '--logger=zap', '--log-level=error', '--name', 'n1', '--data-dir', dataDir,
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `n1=${peer}`, '--initial-cluster-token', `hvs-test-${peerPort}`, ...args,
  ]);
  const output = captureOutput(child);
  try {
    await untilHealthyOrExit(child, () => etcdHealthy(client), `etcd health at ${client}`, timeoutMs);
  } catch (e) {
    await stopProcess(child, 'SIGKILL');
    throw new Error(`etcd did not become healthy at ${client}: ${(e as Error).message}\n${output()}`);
  }
  return child;
}

/** GET /health with a short per-request deadline. */
export async function etcdHealthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}
