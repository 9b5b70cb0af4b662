/**
 * A cluster cut into hosts with network namespaces, for the chaos test and bench/ha:
 * etcd on loopback and the controller (in this process) in the root namespace; every agent is
 * its own process inside its own namespace (`ip netns exec`), on libvirt's test driver, joined
 * with a one-time token like a real host. A "switch" namespace holds a bridge; the controller
 * reaches it through a veth whose root end carries the controller's address, and every agent
 * namespace hangs off it with its own veth, so agents reach the controller and each other.
 * `partition(agent)` sets the agent's veth down inside its namespace: it then reaches nobody.
 *
 * Cleanup: every namespace is named `hvs-<run id>-*` and recorded (test/harness/netns.ts)
 * before it exists; stop(), the process 'exit' hook or the next run's stale sweep kill the
 * processes inside them by PID and delete them (their veths go with them), then the lab dir.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Node } from '@hvs/domain';
import pino from 'pino';
import { GrpcApiServer } from '../../apps/controller/src/api/grpc/grpc-server';
import { createApp } from '../../apps/controller/src/app';
import { loadConfig } from '../../apps/controller/src/config';
import { ClusterPki } from '../../apps/controller/src/pki';
import { EtcdStore } from '../../apps/controller/src/store';
import {
  addNetns, captureOutput, mustRun, processStartTime, runCommand, spawnTracked, startEtcd, sweepRecord, sweepStaleRuns, waitFor, writeRecord,
  type EtcdInstance, type RunRecord,
} from '../harness';

const AGENT_CHILD = path.join(__dirname, 'agent-child.js');
const METRICS_PORT = 9109;
const AGENT_PORT = 7450;

export interface LabAgent {
  node: string;
  netns: string;
  address: string;
  process: ChildProcess;
  output(): string;
}

export interface ChaosLab {
  runId: string;
  store: EtcdStore;
  agents: LabAgent[];
  /** The controller's address as the agents dial it. */
  controller: string;
  partition(agent: LabAgent): Promise<void>;
  heal(agent: LabAgent): Promise<void>;
  /** Managed VMs Running per agent, read from each agent's /metrics inside its namespace. */
  running(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

function testNodeXml(poolDir: string): string {
  return `<node><cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><nodes>1</nodes><sockets>1</sockets>
<cores>4</cores><threads>1</threads></cpu><memory>8388608</memory><pool type='dir'><name>default</name><target><path>${poolDir}</path></target></pool></node>\n`;
}

/** Reads `hvs_agent_domains{phase="Running"}` of one agent; undefined when it does not answer. */
async function runningCount(netns: string): Promise<number | undefined> {
  const r = await runCommand('ip', ['netns', 'exec', netns, 'curl', '-s', '-m', '1', `http://127.0.0.1:${METRICS_PORT}/metrics`], 3_000);
  if (r.code !== 0) return undefined;
  const m = /^hvs_agent_domains\{phase="Running"\} (\d+)/m.exec(r.stdout);
  return m ? Number(m[1]) : 0;
}

export async function startChaosLab(opts: { agents?: number; logLevel?: string } = {}): Promise<ChaosLab> {
  sweepStaleRuns();
  const runId = randomBytes(4).toString('hex');
  const labDir = fs.mkdtempSync(path.join(os.tmpdir(), `hvs-chaos-${runId}-`));
  const n = opts.agents ?? 3;
  const sw = `hvs-${runId}-sw`;
  const agentNs = Array.from({ length: n }, (_, i) => `hvs-${runId}-n${i + 1}`);
  const record: RunRecord = {
    runId, ownerPid: process.pid, ownerStart: processStartTime(process.pid) ?? '', createdAt: new Date().toISOString(), namespaces: [sw, ...agentNs], labDir,
  };
  writeRecord(record);
  const onExit = () => sweepRecord(record);
  process.on('exit', onExit);

  let etcd: EtcdInstance | undefined;
  let store: EtcdStore | undefined;
  let app: INestApplication | undefined;
  const agents: LabAgent[] = [];
  const stop = async () => {
    for (const a of agents) if (a.process.pid && a.process.exitCode === null) a.process.kill('SIGKILL');
    await app?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await etcd?.stop().catch(() => undefined);
    sweepRecord(record);
    process.off('exit', onExit);
  };

  try {
    // A /24 in 10.79.0.0/16 not routed here yet (two-hosts uses 10.77.x).
    const routes = (await mustRun('ip', ['-4', 'route'])).split('\n');
    let subnet = 0;
    for (let tries = 0; tries < 50 && subnet === 0; tries++) {
      const c = 1 + (randomBytes(1)[0]! % 250);
      if (!routes.some((r) => r.startsWith(`10.79.${c}.`))) subnet = c;
    }
    if (subnet === 0) throw new Error('no free 10.79.x.0/24 subnet for the chaos lab');
    const ip = (host: number) => `10.79.${subnet}.${host}`;

    await addNetns(sw);
    await mustRun('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await mustRun('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    // Controller side: root end `hc<run>` (the controller's address), switch end on the bridge.
    const rootDev = `hc${runId}`;
    await mustRun('ip', ['link', 'add', rootDev, 'type', 'veth', 'peer', 'name', 'ctl', 'netns', sw]);
    await mustRun('ip', ['addr', 'add', `${ip(1)}/24`, 'dev', rootDev]);
    await mustRun('ip', ['link', 'set', rootDev, 'up']);
    await mustRun('ip', ['-n', sw, 'link', 'set', 'ctl', 'master', 'br0', 'up']);
    for (let i = 0; i < n; i++) {
      await addNetns(agentNs[i]!);
      await mustRun('ip', ['-n', sw, 'link', 'add', `p${i + 1}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', agentNs[i]!]);
      await mustRun('ip', ['-n', sw, 'link', 'set', `p${i + 1}`, 'master', 'br0', 'up']);
      await mustRun('ip', ['-n', agentNs[i]!, 'addr', 'add', `${ip(10 + i)}/24`, 'dev', 'eth0']);
      await mustRun('ip', ['-n', agentNs[i]!, 'link', 'set', 'eth0', 'up']);
    }

    etcd = await startEtcd();
    store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
    fs.mkdirSync(path.join(labDir, 'controller'), { recursive: true, mode: 0o700 });
    const config = loadConfig({
      HVS_ETCD_ENDPOINTS: etcd.endpoint, HVS_GRPC_LISTEN: `${ip(1)}:0`, HVS_HTTP_LISTEN: '127.0.0.1:0', HVS_DATA_DIR: path.join(labDir, 'controller'), HVS_LOG_LEVEL: 'warn',
    });
    const logFile = path.join(labDir, 'controller.log');
    app = await createApp(config, { logger: pino({ level: opts.logLevel ?? 'info' }, pino.destination({ dest: logFile, sync: true })), controlLoops: true });
    const controller = app.get(GrpcApiServer).address;

    for (let i = 0; i < n; i++) {
      const node = `node-${i + 1}`;
      const dir = path.join(labDir, node);
      const pool = path.join(dir, 'pool');
      fs.mkdirSync(pool, { recursive: true });
      fs.writeFileSync(path.join(dir, 'node.xml'), testNodeXml(pool));
      const token = await app.get(ClusterPki).tokens.create({ nodeName: node });
      fs.writeFileSync(path.join(dir, 'join-token'), `${token.token}\n`, { mode: 0o600 });
      const address = `${ip(10 + i)}:${AGENT_PORT}`;
      const child = spawnTracked('ip', ['netns', 'exec', agentNs[i]!, process.execPath, AGENT_CHILD], {
        env: {
          ...process.env, HVS_NODE_NAME: node, HVS_AGENT_LISTEN: address, HVS_AGENT_ADVERTISE: address,
          HVS_JOIN: controller, HVS_JOIN_TOKEN_FILE: path.join(dir, 'join-token'), HVS_LIBVIRT_URI: `test://${path.join(dir, 'node.xml')}`,
          HVS_AGENT_STATE_DIR: path.join(dir, 'state'), HVS_AGENT_POOLS: `default=${pool}`, HVS_AGENT_METRICS_LISTEN: `127.0.0.1:${METRICS_PORT}`,
          HVS_LOG_LEVEL: opts.logLevel ?? 'info',
        },
      });
      agents.push({ node, netns: agentNs[i]!, address, process: child, output: captureOutput(child, 65_536) });
    }
    const s = store;
    await waitFor(async () => {
      const nodes = (await s.list<Node>('Node')).items;
      return nodes.length === n && nodes.every((x) => x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, { what: `${n} nodes Ready`, timeoutMs: 60_000 }).catch((e: Error) => {
      throw new Error(`${e.message}; agent output: ${agents.map((a) => `${a.node}: ${a.output().slice(-2000)}`).join('\n')}`);
    });

    return {
      runId, store, agents, controller,
      partition: (a) => mustRun('ip', ['-n', a.netns, 'link', 'set', 'eth0', 'down']).then(() => undefined),
      heal: (a) => mustRun('ip', ['-n', a.netns, 'link', 'set', 'eth0', 'up']).then(() => undefined),
      running: async () => {
        const counts = await Promise.all(agents.map((a) => runningCount(a.netns)));
        return new Map(agents.map((a, i) => [a.node, counts[i] ?? -1]));
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
