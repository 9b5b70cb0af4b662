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
import type { EtcdStore } from '../../apps/controller/src/store';
import { addNetns, mustRun, processStartTime, runCommand, sweepRecord, sweepStaleRuns, writeRecord, type RunRecord } from '../harness';
import { startControlPlane, type ControlPlane } from '../harness/control-plane';
import { addSwitch, freeSubnet, plugIntoSwitch } from '../harness/switch';

const METRICS_PORT = 9109;
// Inside each host's own network namespace, so nothing else holds it; still not the default 7450 that
// a single-host system on this machine uses (docs/system-tests.md#tests-beside-a-running-system).
const AGENT_PORT = 17450;

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

  let plane: ControlPlane | undefined;
  const agents: LabAgent[] = [];
  const stop = async () => {
    await plane?.stop();
    sweepRecord(record);
    process.off('exit', onExit);
  };

  try {
    // A /24 in 10.79.0.0/16 not routed here yet (two-hosts uses 10.77.x, its uplink 10.78.x).
    const ip = await freeSubnet('10.79');
    await addSwitch(sw, `hc${runId}`, `${ip(1)}/24`);
    for (let i = 0; i < n; i++) {
      await addNetns(agentNs[i]!);
      await plugIntoSwitch(sw, `p${i + 1}`, agentNs[i]!, 'eth0', `${ip(10 + i)}/24`);
    }

    plane = await startControlPlane({ grpcHost: ip(1), dir: labDir, logLevel: opts.logLevel });
    const { store, controller } = plane;
    for (let i = 0; i < n; i++) {
      const node = `node-${i + 1}`;
      const dir = path.join(labDir, node);
      const pool = path.join(dir, 'pool');
      fs.mkdirSync(pool, { recursive: true });
      fs.writeFileSync(path.join(dir, 'node.xml'), testNodeXml(pool));
      const address = `${ip(10 + i)}:${AGENT_PORT}`;
      const a = await plane.joinAgent({
        node, address, dir, libvirtUri: `test://${path.join(dir, 'node.xml')}`, pools: `default=${pool}`,
        wrap: ['ip', 'netns', 'exec', agentNs[i]!], metricsListen: `127.0.0.1:${METRICS_PORT}`, logLevel: opts.logLevel,
      });
      agents.push({ ...a, netns: agentNs[i]! });
    }
    await plane.untilReady(n);

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
