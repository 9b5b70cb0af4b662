/**
 * Three hosts as a user builds them (issue #6 items 2-3, "Done when"): `hvctl up` runs etcd,
 * Redis, the controller and the first agent; two more agents (node-b, node-c) join with
 * one-time tokens from `hvctl node token create`, each its own process with its own libvirt
 * test-driver host file, state dir and loopback port. Then placement (spread, required
 * anti-affinity, nodeSelector, a VM that fits nowhere says why per host), `hvctl drain node-b`
 * (offline moves: the test driver cannot live-migrate; a PCI passthrough VM is listed as
 * unmovable), cordon, uncordon. Every process is stopped by PID and every temp folder removed
 * in afterAll, also after a failure.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureOutput, freePort, spawnTracked, stopProcess, waitFor } from '../harness';
import { expectExit, hvctl, HVCTL_MAIN, recordedProcesses, REPO, teardown, type RecordedProcess, type Sandbox, makeSandbox } from './cli';

const AGENT_MAIN = path.join(REPO, 'apps/node-agent/dist/main.js');
/** A real PCI device of this machine: test-driver agents report the host's PCI devices. */
const PCI = fs.existsSync('/sys/bus/pci/devices') ? fs.readdirSync('/sys/bus/pci/devices').sort().at(-1) : undefined;

interface Obj {
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown> & { cordoned?: boolean; address?: string };
  status?: { phase?: string; node?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

function items(what: string, stdout: string): Obj[] {
  const list = JSON.parse(stdout) as { kind: string; items: Obj[] };
  if (list.kind !== 'List') throw new Error(`${what}: not a List: ${stdout.slice(0, 200)}`);
  return list.items;
}

/** A libvirt test-driver host of the given size, with its own dir pool. */
function testNodeXml(poolDir: string, cpus: number, memoryBytes: number): string {
  return `<node><cpu><mhz>2000</mhz><model>x86_64</model><active>${cpus}</active><nodes>1</nodes><sockets>1</sockets><cores>${cpus}</cores><threads>1</threads></cpu>
<memory>${Math.floor(memoryBytes / 1024)}</memory><pool type='dir'><name>default</name><target><path>${poolDir}</path></target></pool></node>\n`;
}

function vm(name: string, extra: { labels?: Record<string, string>; spec?: string } = {}): string {
  const labels = extra.labels ? `\n  labels: {${Object.entries(extra.labels).map(([k, v]) => `${k}: ${v}`).join(', ')}}` : '';
  return `---\napiVersion: hvs/v1\nkind: VirtualMachine\nmetadata:\n  name: ${name}${labels}\nspec:\n  cpu: {cores: 1}\n  memory: {size: 64MiB}\n  disks: []\n  networks: []\n${extra.spec ?? ''}`;
}

const DB_ANTI = '  placement:\n    antiAffinity: [{labelSelector: {app: db}, required: true}]\n';

describe('three hosts: placement, drain, cordon (hvctl up + 2 joined agents, libvirt test driver)', () => {
  let sb: Sandbox | undefined;
  const seen: RecordedProcess[] = [];
  const agents: ChildProcess[] = [];
  const outputs: (() => string)[] = [];
  let nodeA = '';

  const get = async (kind: string): Promise<Obj[]> => items(kind, expectExit(`get ${kind}`, await hvctl(sb!, ['get', kind, '-o', 'json']), 0).stdout);
  const where = async (): Promise<Record<string, string | undefined>> => Object.fromEntries((await get('vms')).map((v) => [v.metadata.name, v.status?.node]));
  const apply = async (file: string, yaml: string, wait: boolean) => {
    const f = path.join(sb!.root, file);
    fs.writeFileSync(f, yaml);
    return expectExit(`apply ${file}`, await hvctl(sb!, ['apply', '-f', f, ...(wait ? ['--wait', '--timeout', '90s'] : [])], 120_000), 0);
  };

  beforeAll(() => {
    if (!fs.existsSync(HVCTL_MAIN) || !fs.existsSync(AGENT_MAIN)) throw new Error(`${HVCTL_MAIN} or ${AGENT_MAIN} is not built: run npm run build (npm test builds first)`);
    sb = makeSandbox('cluster');
  });
  afterAll(async () => {
    for (const a of agents) await stopProcess(a, 'SIGTERM');
    await teardown(sb, seen);
  }, 90_000);

  it('hvctl up, then node-b and node-c join with one-time tokens: three Ready nodes', async () => {
    const s = sb!;
    expectExit('hvctl up', await hvctl(s, ['up', '--data-dir', s.dataDir, '--ports', 'auto', '--hypervisor', 'test'], 120_000), 0);
    seen.push(...recordedProcesses(s.dataDir));
    const state = JSON.parse(fs.readFileSync(path.join(s.dataDir, 'state.json'), 'utf8')) as { ports: { controllerGrpc: number } };
    const controller = `127.0.0.1:${state.ports.controllerGrpc}`;
    // The joined hosts get the first one's size, so "spread" has three equal choices.
    const first = items('nodes', expectExit('nodes', await hvctl(s, ['nodes', '-o', 'json']), 0).stdout)[0] as Obj & { status: { capacity: { cpus: number; memoryBytes: number } } };
    const { cpus, memoryBytes } = first.status.capacity;
    for (const name of ['node-b', 'node-c']) {
      const dir = path.join(s.root, name);
      const pool = path.join(dir, 'pool');
      fs.mkdirSync(pool, { recursive: true });
      fs.writeFileSync(path.join(dir, 'node.xml'), testNodeXml(pool, cpus, memoryBytes));
      const token = expectExit(`token for ${name}`, await hvctl(s, ['node', 'token', 'create', '--node', name, '-q']), 0).stdout.trim();
      const tokenFile = path.join(dir, 'join-token');
      fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
      const port = await freePort();
      const child = spawnTracked(process.execPath, [AGENT_MAIN], {
        cwd: dir,
        env: {
          ...s.env, HVS_NODE_NAME: name, HVS_AGENT_LISTEN: `127.0.0.1:${port}`, HVS_JOIN: controller, HVS_JOIN_TOKEN_FILE: tokenFile,
          HVS_LIBVIRT_URI: `test://${path.join(dir, 'node.xml')}`, HVS_AGENT_STATE_DIR: path.join(dir, 'state'), HVS_AGENT_POOLS: `default=${pool}`,
          HVS_AGENT_METRICS_LISTEN: 'off', HVS_LOG_LEVEL: 'warn',
        },
      });
      agents.push(child);
      outputs.push(captureOutput(child));
    }
    const nodes = await waitFor(async () => {
      const r = await hvctl(s, ['nodes', '-o', 'json']);
      if (r.code !== 0) return undefined;
      const n = items('nodes', r.stdout);
      return n.length === 3 && n.every((x) => x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? n : undefined;
    }, { what: `3 Ready nodes (agent output: ${outputs.map((o) => o()).join(' | ')})`, timeoutMs: 60_000, intervalMs: 500 });
    nodeA = nodes.map((n) => n.metadata.name).find((n) => n !== 'node-b' && n !== 'node-c')!;
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual([nodeA, 'node-b', 'node-c'].sort());
    // Labels for the selectors below: a Node manifest, as an operator labels a host.
    const nodeDoc = (n: Obj, labels: string) => `---\napiVersion: hvs/v1\nkind: Node\nmetadata:\n  name: ${n.metadata.name}\n  labels: {${labels}}\nspec:\n  address: "${n.spec.address}"\n`;
    await apply('nodes.yaml', nodes.filter((n) => n.metadata.name !== nodeA).map((n) => nodeDoc(n, n.metadata.name === 'node-b' ? 'zone: b' : 'disk: ssd')).join(''), false);
  }, 240_000);

  it('spreads VMs across the 3 hosts by default; get vms -o wide shows the node', async () => {
    await apply('spread.yaml', ['spread-1', 'spread-2', 'spread-3'].map((n) => vm(n)).join(''), true);
    const at = await where();
    expect(new Set([at['spread-1'], at['spread-2'], at['spread-3']]).size).toBe(3);
    const wide = expectExit('get vms -o wide', await hvctl(sb!, ['get', 'vms', '-o', 'wide']), 0).stdout;
    expect(wide.split('\n')[0]).toMatch(/^NAME\s+PHASE\s+NODE\s/);
    expect(wide).toMatch(new RegExp(`spread-1\\s+Running\\s+${at['spread-1']}\\s`));
  }, 150_000);

  it('required anti-affinity keeps the two db VMs apart; nodeSelector is honoured; a VM that fits nowhere says why per host', async () => {
    await apply('placed.yaml', [
      vm('db-1', { labels: { app: 'db' }, spec: DB_ANTI }), vm('db-2', { labels: { app: 'db' }, spec: DB_ANTI }),
      vm('ssd-1', { spec: '  placement: {nodeSelector: {disk: ssd}}\n' }),
    ].join(''), true);
    const at = await where();
    expect(at['db-1']).toBeDefined();
    expect(at['db-1']).not.toBe(at['db-2']);
    expect(at['ssd-1']).toBe('node-c');

    await apply('huge.yaml', vm('huge').replace('size: 64MiB', 'size: 4096GiB'), false);
    const cond = await waitFor(async () => (await get('vms')).find((v) => v.metadata.name === 'huge')?.status?.conditions?.find((c) => c.type === 'Scheduled' && c.reason === 'Unschedulable'),
      { what: 'huge Unschedulable', timeoutMs: 30_000, intervalMs: 500 });
    expect(cond.message).toMatch(/^0\/3 nodes can run the VM: /);
    for (const n of [nodeA, 'node-b', 'node-c']) expect(cond.message).toMatch(new RegExp(`${n}: [^;]*free < 4 TiB requested`));
    const describe = expectExit('describe vm huge', await hvctl(sb!, ['describe', 'vm', 'huge']), 0).stdout;
    expect(describe).toContain('node-b: ');
    expect(describe).toMatch(/Unschedulable/);
  }, 150_000);

  it('hvctl drain node-b: refuses without --yes and no terminal; with --yes moves every movable VM offline, lists the PCI passthrough VM as unmovable, cordons', async () => {
    if (!PCI) throw new Error('no PCI device in /sys/bus/pci/devices: the passthrough case needs one');
    await apply('gpu.yaml', vm('gpu', { spec: `  placement: {nodeSelector: {zone: b}}\n  devices:\n    hostdevs: [{name: gpu0, pciAddress: "${PCI}"}]\n` }), false);
    await waitFor(async () => (await where())['gpu'] === 'node-b', { what: 'gpu bound to node-b', timeoutMs: 30_000, intervalMs: 500 });
    const before = await where();
    const onB = Object.entries(before).filter(([, n]) => n === 'node-b').map(([v]) => v).sort();
    expect(onB.length).toBeGreaterThanOrEqual(2);

    const refused = await hvctl(sb!, ['drain', 'node-b']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/HVS-CLI-CONFIRM-NEEDED: refusing to drain node node-b without confirmation/);
    expect((await get('nodes')).find((n) => n.metadata.name === 'node-b')?.spec.cordoned).not.toBe(true);

    const drain = await hvctl(sb!, ['drain', 'node-b', '--yes'], 180_000);
    expectExit('drain node-b --yes', drain, 0);
    expect(drain.stdout).toMatch(new RegExp(`gpu\\s+CANNOT MOVE\\s+-\\s+-\\s+PCI passthrough device gpu0 \\(${PCI.replace(/\./g, '\\.')}\\)`));
    for (const v of onB.filter((x) => x !== 'gpu')) expect(drain.stdout).toMatch(new RegExp(`${v}\\s+migrate\\s+\\S+\\s+offline\\s`));
    expect(drain.stdout).toMatch(new RegExp(`node/node-b drained: ${onB.length - 1} moved, 0 failed, 1 cannot move; node-b is cordoned`));

    const vms = await get('vms');
    for (const v of vms) {
      if (v.metadata.name === 'huge') continue;
      if (v.metadata.name === 'gpu') expect(v.status?.node).toBe('node-b');
      else expect([v.metadata.name, v.status?.node]).not.toEqual([v.metadata.name, 'node-b']);
    }
    // The moved VMs run on their new hosts (the target agents started them), placement rules still hold.
    await waitFor(async () => (await get('vms')).filter((v) => onB.includes(v.metadata.name) && v.metadata.name !== 'gpu').every((v) => v.status?.phase === 'Running'),
      { what: 'moved VMs Running', timeoutMs: 60_000, intervalMs: 500 });
    const after = await where();
    expect(after['db-1']).not.toBe(after['db-2']);
    expect((await get('nodes')).find((n) => n.metadata.name === 'node-b')?.spec.cordoned).toBe(true);
    const migrations = await get('migrations');
    expect(migrations.length).toBe(onB.length - 1);
    expect(migrations.every((m) => m.status?.phase === 'Succeeded')).toBe(true);
  }, 240_000);

  it('hvctl uncordon node-b ends maintenance: a new VM selecting zone=b lands there again', async () => {
    expectExit('uncordon', await hvctl(sb!, ['uncordon', 'node-b']), 0);
    expect((await get('nodes')).find((n) => n.metadata.name === 'node-b')?.spec.cordoned).not.toBe(true);
    await apply('back.yaml', vm('back-on-b', { spec: '  placement: {nodeSelector: {zone: b}}\n' }), true);
    expect((await where())['back-on-b']).toBe('node-b');
  }, 150_000);

  it('the joined agents stop on SIGTERM by PID (afterAll also stops them, and hvctl down the rest)', async () => {
    for (const a of agents) await stopProcess(a, 'SIGTERM');
    expect(agents.map((a) => a.exitCode ?? a.signalCode)).toEqual([0, 0]);
  }, 30_000);
});
