/**
 * The single-host product as a user runs it (issue #5, "Done when"): the built `hvctl` and
 * `npm start` as processes, etcd/Redis/controller/agent started by `hvctl up` in a temp data
 * dir on free ports, libvirt's test driver forced so runs are deterministic. Every process
 * is stopped and every temp folder removed in afterAll, also after a failure.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  describeRun, expectExit, hvctl, HVCTL_MAIN, listTree, makeSandbox, processesUsing, recordedProcesses, REPO, run, stillRunning, teardown,
  type RecordedProcess, type Sandbox,
} from './cli';

const QUICKSTART = path.join(REPO, 'examples/quickstart.yaml');
const EXAMPLES = fs.readdirSync(path.join(REPO, 'examples')).filter((f) => f.endsWith('.yaml')).sort();
const COMPONENTS = ['etcd', 'redis', 'controller', 'agent'];

interface Obj { metadata: { name: string }; spec: Record<string, unknown>; status?: { phase?: string; node?: string; conditions?: { type: string; status: string; message?: string }[] } }

function parseList(what: string, stdout: string): Obj[] {
  const list = JSON.parse(stdout) as { kind: string; items: Obj[] };
  if (list.kind !== 'List') throw new Error(`${what}: not a List: ${stdout.slice(0, 200)}`);
  return list.items;
}

/** What lies outside the sandbox that hvctl could write to if it ignored HOME/HVS_CONFIG. */
function outsideSnapshot(): Record<string, string> {
  const snap: Record<string, string> = {};
  const realConfig = path.join(os.homedir(), '.config/hvs');
  for (const f of listTree(realConfig)) {
    const full = path.join(realConfig, f);
    snap[full] = fs.statSync(full).isFile() ? crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex') : 'dir';
  }
  // The default data dirs: a test with --data-dir must not create them.
  for (const d of ['/var/lib/hvs', path.join(os.homedir(), '.local/share/hvs')]) snap[d] = fs.existsSync(d) ? 'exists' : 'absent';
  return snap;
}

describe('single host as a user runs it: hvctl up, apply, plan, delete, down', () => {
  let sb: Sandbox | undefined;
  const seen: RecordedProcess[] = [];
  let outsideBefore: Record<string, string> = {};
  let nodeName = '';

  beforeAll(() => {
    if (!fs.existsSync(HVCTL_MAIN)) throw new Error(`${HVCTL_MAIN} is not built: run npm run build (npm test builds first)`);
    outsideBefore = outsideSnapshot();
    sb = makeSandbox('single');
  });
  afterAll(() => teardown(sb, seen), 90_000);

  it('hvctl up starts etcd, Redis, the controller and an agent on free ports; status is healthy; the node is Ready', async () => {
    const s = sb!;
    const up = expectExit('hvctl up', await hvctl(s, ['up', '--data-dir', s.dataDir, '--ports', 'auto', '--hypervisor', 'test'], 120_000), 0);
    seen.push(...recordedProcesses(s.dataDir));
    expect(seen.map((p) => p.name).sort()).toEqual([...COMPONENTS].sort());
    expect(seen.every(stillRunning)).toBe(true);
    expect(up.stderr).toContain('VMs are SIMULATED');
    expect(up.stderr).toContain(`is current in ${path.join(s.dataDir, 'hvctl.yaml')}`);
    expectExit('hvctl status', await hvctl(s, ['status', '--data-dir', s.dataDir]), 0);
    const again = expectExit('second hvctl up', await hvctl(s, ['up', '--data-dir', s.dataDir, '--ports', 'auto', '--hypervisor', 'test'], 60_000), 0);
    expect(again.stderr).toContain('Already running');
    expect(recordedProcesses(s.dataDir)).toEqual(seen);
    const nodes = parseList('nodes', expectExit('hvctl nodes -o json', await hvctl(s, ['nodes', '-o', 'json']), 0).stdout);
    expect(nodes).toHaveLength(1);
    nodeName = nodes[0]!.metadata.name;
    expect(nodes[0]!.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  }, 200_000);

  it('image import of a placeholder as debian-12, then apply -f examples/quickstart.yaml --wait: both VMs Running on the node (get vms -o json)', async () => {
    const s = sb!;
    // What npm start does on the test driver: nothing boots, so a few MiB stand in for the Debian image.
    const placeholder = path.join(s.root, 'placeholder.qcow2');
    expectExit('qemu-img create', await run('qemu-img', ['create', '-q', '-f', 'qcow2', placeholder, '8M'], { env: s.env, timeoutMs: 30_000 }), 0);
    expectExit('image import', await hvctl(s, ['image', 'import', placeholder, '--name', 'debian-12'], 60_000), 0);
    const apply = expectExit('apply --wait', await hvctl(s, ['apply', '-f', QUICKSTART, '--wait', '--timeout', '2m'], 150_000), 0);
    expect(apply.stdout).toContain('virtualmachine/demo-1 created');
    const vms = parseList('get vms', expectExit('get vms -o json', await hvctl(s, ['get', 'vms', '-o', 'json']), 0).stdout);
    expect(vms.map((v) => [v.metadata.name, v.status?.phase, v.status?.node])).toEqual([['demo-1', 'Running', nodeName], ['demo-2', 'Running', nodeName]]);
  }, 160_000);

  it('plan -f examples/quickstart.yaml on what was applied: exit 0, no changes', async () => {
    const plan = expectExit('plan', await hvctl(sb!, ['plan', '-f', QUICKSTART]), 0);
    expect(plan.stdout).toMatch(/no changes/i);
  }, 40_000);

  it('memory edited in a copy: plan exits 2 and says a restart is needed for spec.memory.size; apply it', async () => {
    const s = sb!;
    const edited = path.join(s.dataDir, 'quickstart-512.yaml');
    const text = fs.readFileSync(QUICKSTART, 'utf8');
    expect(text).toContain('size: 256MiB');
    fs.writeFileSync(edited, text.replaceAll('size: 256MiB', 'size: 512MiB'));
    const plan = expectExit('plan (edited)', await hvctl(s, ['plan', '-f', edited]), 2);
    for (const vm of ['demo-1', 'demo-2']) expect(plan.stdout).toContain(`~ VirtualMachine/${vm} (update, restart required)`);
    expect(plan.stdout).toMatch(/spec\.memory\.size: "256MiB" -> "512MiB" \(restart\)/);
    expect(plan.stdout).toContain('Plan: 0 to create, 2 to update (2 needs restart), 2 unchanged.');
    expectExit('apply (edited)', await hvctl(s, ['apply', '-f', edited, '--wait', '--timeout', '1m'], 90_000), 0);
    const vms = parseList('get vms', expectExit('get vms -o json', await hvctl(s, ['get', 'vms', '-o', 'json']), 0).stdout);
    for (const vm of vms) {
      expect((vm.spec.memory as { size: string }).size).toBe('512MiB');
      expect(vm.status?.phase).toBe('Running');
    }
    expect(expectExit('plan after apply', await hvctl(s, ['plan', '-f', edited]), 0).stdout).toMatch(/no changes/i);
  }, 150_000);

  it('plan on every example against the live system: exit 0 or 2 with a plan, never an error', async () => {
    const problems: string[] = [];
    // The seed recipes are one batch (libs/domain/test/manifest/seeds.spec.ts): one names the pool,
    // image or network another defines, and references are checked at plan (HVS-VM-REFERENCE-MISSING).
    const seeds = EXAMPLES.filter((f) => f !== 'quickstart.yaml');
    for (const files of [['quickstart.yaml'], seeds]) {
      const r = await hvctl(sb!, ['plan', ...files.flatMap((f) => ['-f', path.join(REPO, 'examples', f)])]);
      if ((r.code !== 0 && r.code !== 2) || r.timedOut || !/^Plan: \d+ to create, \d+ to update/m.test(r.stdout)) problems.push(describeRun(`plan -f examples/${files.join(' -f examples/')}`, r));
    }
    expect(problems).toEqual([]);
    expect(EXAMPLES).toHaveLength(6);
  }, 90_000);

  it('delete -f --wait removes both VMs and the network, returning only after the agent removed their volumes and seeds', async () => {
    const s = sb!;
    const pool = path.join(s.dataDir, 'agent', 'pools', 'default');
    const volumes = () => fs.readdirSync(pool).filter((f) => f.startsWith('hvs-'));
    // Per VM: its root disk (an overlay on the cached image) and its cloud-init seed.
    expect(volumes().map((f) => f.replace(/^hvs-[0-9a-f-]{36}-/, ''))).toEqual(['cidata.iso', 'root.qcow2', 'cidata.iso', 'root.qcow2']);
    const del = expectExit('delete --wait', await hvctl(s, ['delete', '-f', QUICKSTART, '--wait', '--timeout', '1m'], 90_000), 0);
    expect(del.stdout).toContain('virtualmachine/demo-1 deleted');
    // The VMs left etcd only once the agent confirmed their clean-up (docs/architecture/deletion.md).
    expect(volumes()).toEqual([]);
    expect(parseList('vms', expectExit('get vms', await hvctl(s, ['get', 'vms', '-o', 'json']), 0).stdout)).toEqual([]);
    expect(parseList('nets', expectExit('get nets', await hvctl(s, ['get', 'networks', '-o', 'json']), 0).stdout)).toEqual([]);
  }, 100_000);

  it('down stops every recorded process; nothing runs from the sandbox and nothing was written outside the data dir', async () => {
    const s = sb!;
    const down = expectExit('down', await hvctl(s, ['down', '--data-dir', s.dataDir], 90_000), 0);
    for (const c of COMPONENTS) expect(down.stdout).toMatch(new RegExp(`^${c}\\s+pid \\d+\\s+stopped$`, 'm'));
    expect(seen.filter(stillRunning)).toEqual([]);
    expect(processesUsing(s.root)).toEqual([]);
    expect(recordedProcesses(s.dataDir)).toEqual([]);
    expectExit('status after down', await hvctl(s, ['status', '--data-dir', s.dataDir]), 1);
    expect(listTree(s.home)).toEqual([]);
    expect(listTree(s.tmp)).toEqual([]);
    expect(outsideSnapshot()).toEqual(outsideBefore);
  }, 120_000);
});

describe('npm start (the README command 1) with the data dir in a temp folder, free ports, test driver', () => {
  let sb: Sandbox | undefined;
  const seen: RecordedProcess[] = [];
  afterAll(() => teardown(sb, seen), 90_000);

  it('ends with both quickstart VMs Running; a second run says the system is already up; hvctl down stops it', async () => {
    sb = makeSandbox('npm-start');
    const s = sb;
    const env = { ...s.env, HVS_DATA_DIR: s.dataDir, HVS_PORTS: 'auto', HVS_HYPERVISOR: 'test', npm_config_update_notifier: 'false' };
    const first = await run('npm', ['start'], { env, timeoutMs: 240_000 });
    seen.push(...recordedProcesses(s.dataDir));
    expectExit('npm start', first, 0);
    expect(first.stdout).toMatch(/^demo-1\s+Running\s/m);
    expect(first.stdout).toMatch(/^demo-2\s+Running\s/m);
    expect(first.stdout).toContain(`hvctl down --data-dir ${s.dataDir}`);
    expect(first.stdout).toContain('alias hvctl="node ');
    // The test driver boots nothing: no Debian build, a placeholder image, and it says so.
    expect(first.stderr).toContain('the Debian image was NOT built');
    expect(first.stdout).toContain('Simulated: the node runs libvirt\'s test driver');
    const vms = parseList('get vms', expectExit('get vms -o json', await hvctl(s, ['get', 'vms', '-o', 'json']), 0).stdout);
    expect(vms.map((v) => [v.metadata.name, v.status?.phase])).toEqual([['demo-1', 'Running'], ['demo-2', 'Running']]);

    const second = expectExit('second npm start', await run('npm', ['start'], { env, timeoutMs: 240_000 }), 0);
    expect(second.stdout + second.stderr).toContain(`Already running in ${s.dataDir}`);
    expect(second.stdout).toMatch(/^demo-1\s+Running\s/m);
    expect(second.stderr).toContain('image debian-12 already imported');
    expect(recordedProcesses(s.dataDir)).toEqual(seen);

    expectExit('hvctl down', await hvctl(s, ['down', '--data-dir', s.dataDir], 90_000), 0);
    expect(seen.filter(stillRunning)).toEqual([]);
    expect(processesUsing(s.root)).toEqual([]);
  }, 560_000);
});
