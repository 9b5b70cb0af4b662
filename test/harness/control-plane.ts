/**
 * A controller in the test process (etcd on loopback, the real Nest app with its control loops,
 * gRPC on a given host) and node agents as processes that join it with one-time tokens, the way
 * a real host joins. Shared by the chaos lab (agents on libvirt's test driver in their own
 * namespaces) and the system tier (agents inside two-hosts' libvirt hosts on real QEMU).
 *
 * Not re-exported from ./index: it loads the controller (NestJS), which only the jest configs
 * of the chaos and system tiers can transform.
 *
 * Cleanup: stop() SIGKILLs the agents by PID, closes the app and the store and stops etcd.
 * Agents run inside recorded namespaces, so the caller's sweep also reaches them.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Node } from '@hvs/domain';
import pino from 'pino';
import { GrpcApiServer } from '../../apps/controller/src/api/grpc/grpc-server';
import { createApp } from '../../apps/controller/src/app';
import { BootstrapAdmin } from '../../apps/controller/src/identity';
import { loadConfig } from '../../apps/controller/src/config';
import { ClusterPki } from '../../apps/controller/src/pki';
import { EnvelopeTransformer, EtcdStore, KeyRing } from '../../apps/controller/src/store';
import { startEtcd, type EtcdInstance } from './etcd';
import { captureOutput, spawnTracked, waitFor } from './processes';

/** Runs apps/node-agent/src/main.ts from source (swc on load). */
export const AGENT_CHILD = path.join(__dirname, 'agent-child.js');

export interface ControlPlane {
  store: EtcdStore;
  app: INestApplication;
  /** host:port of the gRPC API (agents join here; hvctl talks to it). */
  controller: string;
  /** The cluster CA certificate (PEM): what hvctl's context needs to trust the API. */
  caPem: string;
  /** The bootstrap admin's client certificate and key (what hvctl's context needs to be allowed anything). */
  admin: { certFile: string; keyFile: string };
  agents: JoinedAgent[];
  /** Starts an agent process that joins with a fresh one-time token for `node`. */
  joinAgent(o: AgentSpec): Promise<JoinedAgent>;
  /** Resolves when `n` Nodes report Ready=True (agent output in the error otherwise). */
  untilReady(n: number, timeoutMs?: number): Promise<Node[]>;
  stop(): Promise<void>;
}

export interface AgentSpec {
  node: string;
  /** host:port it listens on and advertises (the controller dials it). */
  address: string;
  /** Its own dir (join token, state); created here. */
  dir: string;
  libvirtUri: string;
  /** name=/abs/path[,...] */
  pools: string;
  /** Prefix that runs a command inside the host's namespaces, e.g. ['ip', 'netns', 'exec', ns]. */
  wrap: string[];
  metricsListen?: string;
  logLevel?: string;
}

export interface JoinedAgent {
  node: string;
  address: string;
  process: ChildProcess;
  output(): string;
}

export async function startControlPlane(o: { grpcHost: string; dir: string; logLevel?: string }): Promise<ControlPlane> {
  let etcd: EtcdInstance | undefined;
  let store: EtcdStore | undefined;
  let app: INestApplication | undefined;
  const agents: JoinedAgent[] = [];
  const stop = async () => {
    for (const a of agents) if (a.process.pid && a.process.exitCode === null) a.process.kill('SIGKILL');
    await app?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await etcd?.stop().catch(() => undefined);
  };
  try {
    etcd = await startEtcd();
    fs.mkdirSync(path.join(o.dir, 'controller'), { recursive: true, mode: 0o700 });
    // The key file the controller then loads: this store reads the VMs it encrypts.
    store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000, transformer: new EnvelopeTransformer(KeyRing.loadOrCreate(path.join(o.dir, 'controller'))) });
    const config = loadConfig({
      HVS_ETCD_ENDPOINTS: etcd.endpoint, HVS_GRPC_LISTEN: `${o.grpcHost}:0`, HVS_HTTP_LISTEN: '127.0.0.1:0', HVS_DATA_DIR: path.join(o.dir, 'controller'), HVS_LOG_LEVEL: 'warn',
    });
    const logFile = path.join(o.dir, 'controller.log');
    app = await createApp(config, { logger: pino({ level: o.logLevel ?? 'info' }, pino.destination({ dest: logFile, sync: true })), controlLoops: true });
    await app.get(BootstrapAdmin).recorded;
  } catch (e) {
    await stop();
    throw e;
  }
  const a = app;
  const s = store;
  const controller = a.get(GrpcApiServer).address;
  const pki = a.get(ClusterPki);
  return {
    store: s, app: a, controller, caPem: pki.ca.certificatePem, agents, stop,
    admin: { certFile: path.join(o.dir, 'controller', 'pki', 'admin.crt'), keyFile: path.join(o.dir, 'controller', 'pki', 'admin.key') },
    async joinAgent(spec) {
      fs.mkdirSync(spec.dir, { recursive: true });
      const token = await pki.tokens.create({ nodeName: spec.node });
      // The token goes through a 0600 file, never argv or the environment.
      const tokenFile = path.join(spec.dir, 'join-token');
      fs.writeFileSync(tokenFile, `${token.token}\n`, { mode: 0o600 });
      const [cmd, ...args] = spec.wrap;
      const child = spawnTracked(cmd!, [...args, process.execPath, AGENT_CHILD], {
        env: {
          ...process.env, HVS_NODE_NAME: spec.node, HVS_AGENT_LISTEN: spec.address, HVS_AGENT_ADVERTISE: spec.address,
          HVS_JOIN: controller, HVS_JOIN_TOKEN_FILE: tokenFile, HVS_LIBVIRT_URI: spec.libvirtUri,
          HVS_AGENT_STATE_DIR: path.join(spec.dir, 'state'), HVS_AGENT_POOLS: spec.pools, HVS_AGENT_METRICS_LISTEN: spec.metricsListen ?? 'off',
          HVS_LOG_LEVEL: spec.logLevel ?? o.logLevel ?? 'info',
        },
      });
      const agent = { node: spec.node, address: spec.address, process: child, output: captureOutput(child, 65_536) };
      agents.push(agent);
      return agent;
    },
    async untilReady(n, timeoutMs = 60_000) {
      return waitFor(async () => {
        const nodes = (await s.list<Node>('Node')).items;
        const ready = nodes.length === n && nodes.every((x) => x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready ? nodes : undefined;
      }, { what: `${n} nodes Ready`, timeoutMs }).catch((e: Error) => {
        throw new Error(`${e.message}; agent output: ${agents.map((x) => `${x.node}: ${x.output().slice(-2000)}`).join('\n')}`);
      });
    },
  };
}
