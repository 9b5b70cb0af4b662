import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatPlan, type ObjectPlan } from '@hvs/domain';
import { runCli } from '../src/cli';
import { palette } from '../src/printers/colour';
import { renderPlan } from '../src/commands/apply';
import { fakeIo, type FakeIo } from './fake-io';
import { startFakeController, type FakeController } from './fake-controller';

const QUICKSTART = path.join(__dirname, '../../../examples/quickstart.yaml');
let fake: FakeController;
let tmp: string;

beforeEach(async () => {
  fake = await startFakeController();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-cli-'));
});
afterEach(async () => {
  await fake.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function hvctl(args: string[], opts: { env?: NodeJS.ProcessEnv; tty?: boolean; stdin?: string } = {}): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo({ env: { HOME: tmp, ...(opts.env ?? {}) }, tty: opts.tty, stdin: opts.stdin });
  const code = await runCli(['--server', fake.address, ...args], io);
  return { code, io };
}

function freeClosedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('usage and exit codes', () => {
  it('--help lists the commands and documents the exit codes (exit 0)', async () => {
    const { code, io } = await hvctl(['--help']);
    expect(code).toBe(0);
    expect(io.stdout()).toMatch(/Exit codes:\n {2}0 {2}success[^\n]*\n {2}1 {2}error[^\n]*\n {2}2 {2}plan\/diff only: the plan has changes/);
    for (const c of ['apply', 'plan|diff', 'get', 'describe', 'delete', 'start', 'stop', 'restart', 'events', 'nodes', 'cordon', 'uncordon', 'audit', 'up', 'down', 'status', 'completion', 'version', 'config']) {
      expect(io.stdout()).toContain(`  ${c} `);
    }
  });

  it('an unknown command, an unknown kind or a bad flag value exits 1 with what to do', async () => {
    let r = await hvctl(['bogus']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toMatch(/^error: HVS-CLI-UNKNOWN-COMMAND: unknown command "bogus" for "hvctl": [^\n]*; fix: run `hvctl --help` for the list of verbs\n/);
    r = await hvctl(['get', 'wombats']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toMatch(/^error: HVS-CLI-USAGE: "wombats" is not a kind; fix: use one of: virtualmachines \(vm, vms\)/);
    r = await hvctl(['get', 'vms', '-o', 'xml']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toContain('-o xml is not an output format');
    r = await hvctl(['apply', '-f', QUICKSTART, '--wait', '--timeout', 'soon']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toContain('--timeout "soon" is not a duration');
    r = await hvctl(['up', '--hypervisor', 'xen']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toContain('--hypervisor xen is not a mode');
  });

  it('an unreachable controller: one line naming the address and cause, exit 1, a stack only with --debug', async () => {
    const port = await freeClosedPort();
    const io = fakeIo({ env: { HOME: tmp } });
    expect(await runCli(['--server', `127.0.0.1:${port}`, 'get', 'vms'], io)).toBe(1);
    expect(io.stderr()).toBe(`error: HVS-CLI-CONTROLLER-UNREACHABLE: cannot reach controller at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}; fix: run \`hvctl up\` or check \`hvctl status\`\n`);
    const dbg = fakeIo({ env: { HOME: tmp } });
    expect(await runCli(['--server', `127.0.0.1:${port}`, '--debug', 'get', 'vms'], dbg)).toBe(1);
    expect(dbg.stderr()).toMatch(/HVS-CLI-CONTROLLER-UNREACHABLE[^\n]*\nHvsError: cannot reach controller[^\n]*\n\s+at /);
  });

  it('version prints the package version', async () => {
    const { code, io } = await hvctl(['version', '-o', 'json']);
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout())).toEqual({ client: '0.1.0', node: process.versions.node });
  });
});

describe('apply and plan', () => {
  it('apply prints kind/name created, then unchanged on a second run', async () => {
    let r = await hvctl(['apply', '-f', QUICKSTART]);
    expect(r.code).toBe(0);
    expect(r.io.stdout()).toBe('network/quickstart created\nimage/debian-12 created\nvirtualmachine/demo-1 created\nvirtualmachine/demo-2 created\n');
    r = await hvctl(['apply', '-f', QUICKSTART]);
    expect(r.io.stdout()).toBe('network/quickstart unchanged\nimage/debian-12 unchanged\nvirtualmachine/demo-1 unchanged\nvirtualmachine/demo-2 unchanged\n');
  });

  it('reads - from stdin and marks a dry run', async () => {
    const r = await hvctl(['apply', '-f', '-', '--dry-run'], { stdin: fs.readFileSync(QUICKSTART, 'utf8') });
    expect(r.code).toBe(0);
    expect(r.io.stdout()).toContain('virtualmachine/demo-2 created (dry run)');
    expect(fake.objects.size).toBe(0);
  });

  it('plan: exit 0 with no changes; exit 2 when memory changes, naming the field and the restart', async () => {
    await hvctl(['apply', '-f', QUICKSTART]);
    let r = await hvctl(['plan', '-f', QUICKSTART]);
    expect(r.code).toBe(0);
    expect(r.io.stdout()).toContain('No changes: every object already matches.');
    const edited = path.join(tmp, 'edited.yaml');
    fs.writeFileSync(edited, fs.readFileSync(QUICKSTART, 'utf8').replace('size: 256MiB', 'size: 512MiB'));
    r = await hvctl(['diff', '-f', edited]);
    expect(r.code).toBe(2);
    expect(r.io.stdout()).toContain('~ VirtualMachine/demo-1 (update, restart required)\n    spec.memory.size: "256MiB" -> "512MiB" (restart)');
    expect(r.io.stdout()).toContain('Plan: 0 to create, 1 to update (1 needs restart), 3 unchanged.');
    r = await hvctl(['plan', '-f', edited, '-o', 'json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.io.stdout()).objects.find((o: ObjectPlan) => o.name === 'demo-1').changes[0]).toMatchObject({ path: 'spec.memory.size', effect: 'restart' });
  });

  it('prints plans exactly as the domain formatPlan does when there is nothing to prune', () => {
    const plans: ObjectPlan[] = [
      { kind: 'Network', name: 'n', action: 'create', changes: [] },
      { kind: 'VirtualMachine', name: 'v', action: 'update', changes: [{ path: 'spec.cpu.cores', old: 1, new: 2, effect: 'restart' }, { path: 'spec.placement.nodeSelector.zone', new: 'a', effect: 'migration' }] },
    ];
    expect(renderPlan(plans, palette(false), false)).toBe(formatPlan(plans));
  });

  it('a manifest error is reported locally with file and line, and nothing is sent', async () => {
    const bad = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(bad, 'apiVersion: hvs/v1\nkind: VirtualMachine\nmetadata:\n  name: web\nspec:\n  cpu: {cores: 1}\n  memory:\n    size: 2GB\n  disks: []\n  networks: []\n');
    const r = await hvctl(['apply', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toMatch(new RegExp(`^error: HVS-[A-Z-]+: ${bad.replace(/[.]/g, '\\.')}: document 1 \\(line 8\\): spec\\.memory\\.size: `));
    expect(r.io.stderr()).toContain('fix: ');
    expect(fake.calls).not.toContain('apply');
  });

  it('a batch the controller rejects shows every problem, exit 1', async () => {
    const f = path.join(tmp, 'reject.yaml');
    fs.writeFileSync(f, fs.readFileSync(QUICKSTART, 'utf8').replace('name: demo-1', 'name: reject-me'));
    const r = await hvctl(['apply', '-f', f]);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toBe([
      'error: HVS-NET-NOT-FOUND: 2 problems:',
      '  - HVS-NET-NOT-FOUND: a.yaml#0 spec.networks[0].network: network "nope" does not exist; fix: apply the Network first',
      '  - HVS-IMAGE-NOT-FOUND: a.yaml#0 spec.disks[0].image: image "x" does not exist; fix: apply the Image first',
      '',
    ].join('\n'));
  });

  it('--prune needs a selector', async () => {
    const r = await hvctl(['apply', '-f', QUICKSTART, '--prune']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toContain('--prune needs a label selector');
  });
});

describe('apply --wait', () => {
  const setPhase = (name: string, phase: string, extra: object = {}) => {
    const o = fake.objects.get(`VirtualMachine/${name}`)!;
    o.status = { phase, observedGeneration: o.metadata.generation, ...extra };
  };

  it('returns once every VM reached its runState', async () => {
    let lists = 0;
    fake.onList = () => {
      if (++lists === 3) {
        setPhase('demo-1', 'Running');
        setPhase('demo-2', 'Running');
      }
    };
    const r = await hvctl(['apply', '-f', QUICKSTART, '--wait']);
    expect(r.code).toBe(0);
    expect(r.io.stderr()).toMatch(/waiting for 2\/2 VM\(s\): demo-1 Pending, demo-2 Pending/);
    expect(r.io.stderr()).toMatch(/2 VM\(s\) reached their runState in /);
  });

  it('fails after --timeout naming each VM left, its phase and reason', async () => {
    fake.onList = () => setPhase('demo-2', 'Scheduled', { conditions: [{ type: 'Ready', status: 'False', reason: 'ImagePulling', message: 'downloading' }] });
    const r = await hvctl(['apply', '-f', QUICKSTART, '--wait', '--timeout', '3s']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toContain('error: HVS-CLI-WAIT-TIMEOUT: 3 problems:');
    expect(r.io.stderr()).toContain('2 of 2 VM(s) did not reach their runState within 3.0s');
    expect(r.io.stderr()).toContain('virtualmachine/demo-2: phase Scheduled, wanted Running: Ready=False ImagePulling: downloading');
  });

  it('shows the download of an image a VM waits for (ImageNotReady)', async () => {
    // The quickstart applies Image/debian-12 itself: its download status is set after the apply, as a node would report it.
    const downloading = {
      apiVersion: 'hvs/v1', kind: 'Image', metadata: { name: 'debian-12' }, spec: { source: { upload: true }, format: 'qcow2' },
      status: { phase: 'Downloading', nodes: [{ node: 'node-a', phase: 'Downloading', cached: false, bytes: 80 * 1024 * 1024, totalBytes: 320 * 1024 * 1024, bytesPerSecond: 40 * 1024 * 1024, etaSeconds: 6 }] },
    };
    let lists = 0;
    fake.onList = (kind) => {
      if (kind !== 'VirtualMachine') return;
      fake.objects.set('Image/debian-12', downloading as never);
      lists++;
      setPhase('demo-1', lists >= 4 ? 'Running' : 'Pending', lists >= 4 ? {} : { conditions: [{ type: 'Ready', status: 'False', reason: 'ImageNotReady', message: 'waiting for debian-12' }] });
      if (lists >= 4) setPhase('demo-2', 'Running');
    };
    const r = await hvctl(['apply', '-f', QUICKSTART, '--wait']);
    expect(r.code).toBe(0);
    expect(r.io.stderr()).toContain('; debian-12 on node-a [######..................]  25% 80MiB/320MiB 40MiB/s ETA 6s');
  });

  it('fails at once when a VM is Failed for its current generation', async () => {
    fake.onList = () => setPhase('demo-1', 'Failed', { conditions: [{ type: 'Ready', status: 'False', reason: 'DefineFailed', message: 'no such pool' }] });
    const r = await hvctl(['apply', '-f', QUICKSTART, '--wait']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toContain('HVS-CLI-WAIT-FAILED');
    expect(r.io.stderr()).toContain('virtualmachine/demo-1: phase Failed, wanted Running: Ready=False DefineFailed: no such pool');
  });
});

describe('reading and operating', () => {
  beforeEach(async () => {
    await hvctl(['apply', '-f', QUICKSTART]);
  });

  it('get vms prints an aligned table; -o json parses; -o name lists kind/name', async () => {
    let r = await hvctl(['get', 'vms']);
    expect(r.code).toBe(0);
    const lines = r.io.stdout().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +PHASE +NODE +CPU +MEMORY +AGE$/);
    expect(lines[1]).toMatch(/^demo-1 +Pending +<none> +1 +256MiB +\d+[smhdy]$/);
    expect(lines[0]!.indexOf('PHASE')).toBe(lines[1]!.indexOf('Pending'));
    r = await hvctl(['get', 'vm', 'demo-1', '-o', 'json']);
    expect(JSON.parse(r.io.stdout())).toMatchObject({ kind: 'VirtualMachine', metadata: { name: 'demo-1' }, spec: { memory: { size: '256MiB' } } });
    r = await hvctl(['get', 'virtualmachines', '-o', 'name']);
    expect(r.io.stdout()).toBe('virtualmachine/demo-1\nvirtualmachine/demo-2\n');
    r = await hvctl(['get', 'nets']);
    expect(r.io.stdout()).toMatch(/^NAME +MODE +SUBNET +AGE\nquickstart +nat +10\.88\.0\.0\/24 /);
  });

  it('colours only on a terminal without NO_COLOR', async () => {
    fake.objects.get('VirtualMachine/demo-1')!.status = { phase: 'Running' };
    expect((await hvctl(['get', 'vms'], { tty: true })).io.stdout()).toContain('\u001b[32mRunning\u001b[39m');
    expect((await hvctl(['get', 'vms'], { tty: true, env: { NO_COLOR: '1' } })).io.stdout()).not.toContain('\u001b[');
    expect((await hvctl(['--no-color', 'get', 'vms'], { tty: true })).io.stdout()).not.toContain('\u001b[');
    expect((await hvctl(['get', 'vms'])).io.stdout()).not.toContain('\u001b[');
  });

  it('a missing object is the server\'s NotFound error, exit 1', async () => {
    const r = await hvctl(['get', 'vm', 'nope']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toBe('error: HVS-OBJECT-NOT-FOUND: VirtualMachine "nope" does not exist; fix: list them: hvctl get VirtualMachine\n');
  });

  it('get --watch prints the list, then each change without headers', async () => {
    const r = await hvctl(['get', 'vms', '--watch']);
    expect(r.code).toBe(0);
    const lines = r.io.stdout().trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('NAME')).length).toBe(1);
    expect(lines.filter((l) => l.startsWith('demo-1')).length).toBe(2);
  });

  it('describe shows spec, status, conditions and events', async () => {
    fake.events.push({ time: '2026-01-01T11:59:00Z', kind: 'VirtualMachine', name: 'demo-1', uid: 'u', type: 'Warning', reason: 'Unschedulable', message: 'no node fits', source: 'controller', node: '', resourceVersion: '3', count: 1, firstTime: '2026-01-01T11:59:00Z' });
    const r = await hvctl(['describe', 'vm', 'demo-1']);
    expect(r.code).toBe(0);
    expect(r.io.stdout()).toMatch(/^Name: +demo-1\nKind: +VirtualMachine\nLabels: +app=quickstart\n/);
    expect(r.io.stdout()).toMatch(/Spec:\n {2}cpu:\n {4}cores: 1\n/);
    expect(r.io.stdout()).toMatch(/Status:\n {2}phase: Pending/);
    expect(r.io.stdout()).toMatch(/Events:\n {2}AGE +TYPE +REASON +SOURCE +MESSAGE\n {2}60s +Warning +Unschedulable +controller +no node fits/);
  });

  it('start/stop report each VM and a summary; a failure makes exit 1', async () => {
    let r = await hvctl(['start', 'demo-1', 'ghost']);
    expect(r.code).toBe(1);
    expect(r.io.stdout()).toBe([
      'virtualmachine/demo-1 started',
      'virtualmachine/ghost failed: HVS-OBJECT-NOT-FOUND: VirtualMachine "ghost" does not exist; fix: hvctl get vms',
      '1 succeeded, 1 failed', ''].join('\n'));
    r = await hvctl(['stop', 'demo-1', 'demo-2']);
    expect(r.code).toBe(0);
    expect(r.io.stdout()).toContain('2 succeeded, 0 failed');
    r = await hvctl(['stop']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toContain('stop needs VM names or -l SELECTOR');
  });

  it('delete by name and by file; cordon a node; events and audit tables', async () => {
    let r = await hvctl(['delete', 'vm', 'demo-1']);
    expect(r.io.stdout()).toBe('virtualmachine/demo-1 deleted\n');
    r = await hvctl(['delete', '-f', QUICKSTART, '--ignore-not-found']);
    expect(r.code).toBe(0);
    // Users first (the VM), then what it names, whatever the file's order.
    expect(r.io.stdout()).toBe('virtualmachine/demo-2 deleted\nnetwork/quickstart deleted\nimage/debian-12 deleted\n');
    fake.objects.set('Node/n1', { apiVersion: 'hvs/v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} });
    r = await hvctl(['cordon', 'n1']);
    expect(r.io.stdout()).toBe('node/n1 cordoned\n');
    r = await hvctl(['nodes']);
    expect(r.io.stdout()).toMatch(/n1 +Unknown,SchedulingDisabled/);
    fake.events.push({ time: '2026-01-01T11:59:00Z', kind: 'VirtualMachine', name: 'demo-1', uid: 'u', type: 'Normal', reason: 'Started', message: 'domain started', source: 'agent/n1', node: 'n1', resourceVersion: '3', count: 3, firstTime: '2026-01-01T11:50:00Z' });
    r = await hvctl(['events']);
    expect(r.io.stdout()).toMatch(/^AGE +TYPE +REASON +OBJECT +SOURCE +MESSAGE\n60s \(x3 over 10m\) +Normal +Started +virtualmachine\/demo-1 +agent\/n1 +domain started\n$/);
    fake.audit.push({ time: '2026-01-01T11:58:00Z', actor: 'admin', operation: 'apply', kind: 'VirtualMachine', name: 'demo-1', generationBefore: 1, generationAfter: 2, result: 'ok', message: '', uid: 'u' });
    r = await hvctl(['audit', '--limit', '5']);
    expect(r.io.stdout()).toMatch(/^TIME +ACTOR +OPERATION +OBJECT +GENERATION +RESULT\n2026-01-01T11:58:00Z +admin +apply +virtualmachine\/demo-1 +1->2 +ok\n$/);
  });
});

describe('completion', () => {
  it('bash and zsh scripts complete commands, flags and kinds; other shells are a usage error', async () => {
    let r = await hvctl(['completion', 'bash']);
    expect(r.code).toBe(0);
    expect(r.io.stdout()).toMatch(/^# bash completion for hvctl/);
    expect(r.io.stdout()).toContain('complete -o default -F _hvctl hvctl');
    expect(r.io.stdout()).toMatch(/compgen -W "apply plan diff get nodes describe delete start stop restart cordon uncordon events audit (\S+ )*config up down status completion version/);
    expect(r.io.stdout()).toMatch(/compgen -W "[^"]* node diagnose /);
    expect(r.io.stdout()).toMatch(/ {4}get\) words="[^"]*--selector[^"]*virtualmachines[^"]*vms/);
    r = await hvctl(['completion', 'zsh']);
    expect(r.io.stdout()).toMatch(/^#compdef hvctl/);
    expect(r.io.stdout()).toContain('compdef _hvctl hvctl');
    r = await hvctl(['completion', 'fish']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toContain('no completion for shell "fish"');
  });
});
