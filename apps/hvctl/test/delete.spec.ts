/**
 * `hvctl delete vm a b c` and `hvctl delete vm -l key=value`: ONE Delete request each (the
 * controller deletes all of them in one transaction or none), against the fake controller on
 * a real gRPC server. The controller's side: apps/controller/test/api/delete-many.medium.spec.ts.
 * Then `--wait` and `--force` on an object with finalizers: progress from the Deleting
 * condition, a coded timeout naming what is pending, a forced delete's warning. The fake io's
 * sleep advances its clock at once, so the waits take no real time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../src/cli';
import { fakeIo, type FakeIo } from './fake-io';
import { startFakeController, type FakeController } from './fake-controller';

let fake: FakeController;
let tmp: string;

beforeEach(async () => {
  fake = await startFakeController();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-delete-'));
  const vms = ['web-1', 'web-2', 'web-3', 'db-1'].map((n) => `apiVersion: hvs/v1
kind: VirtualMachine
metadata:
  name: ${n}
  labels:
    app: ${n.startsWith('web') ? 'web' : 'db'}
spec:
  cpu: { cores: 1 }
  memory: { size: 512MiB }
  disks: [{ name: os, size: 10GiB }]
  networks: [{ name: eth0, network: lan }]
`).join('---\n');
  fs.writeFileSync(path.join(tmp, 'vms.yaml'), vms);
  const applied = await hvctl(['apply', '-f', path.join(tmp, 'vms.yaml')]);
  expect(applied.io.stderr()).toBe('');
  fake.deletes.length = 0;
});
afterEach(async () => {
  await fake.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function hvctl(args: string[]): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo({ env: { HOME: tmp } });
  const code = await runCli(['--server', fake.address, ...args], io);
  return { code, io };
}

const left = () => [...fake.objects.values()].map((o) => o.metadata.name).sort();

describe('hvctl delete KIND NAME... and -l', () => {
  it('several names: one request carrying all of them; one line per object', async () => {
    const r = await hvctl(['delete', 'vm', 'web-1', 'web-2', 'web-3']);
    expect(r.io.stderr()).toBe('');
    expect(r.code).toBe(0);
    expect(r.io.stdout()).toBe('virtualmachine/web-1 deleted\nvirtualmachine/web-2 deleted\nvirtualmachine/web-3 deleted\n');
    expect(fake.deletes).toEqual([expect.objectContaining({ kind: 'VirtualMachine', name: '', names: ['web-1', 'web-2', 'web-3'], labelSelector: '', ignoreNotFound: false })]);
    expect(left()).toEqual(['db-1']);
  });

  it('one missing name: exit 1 with the controller\'s coded error naming it, and nothing deleted', async () => {
    const r = await hvctl(['delete', 'vms', 'web-1', 'ghost', 'web-2']);
    expect(r.code).toBe(1);
    expect(r.io.stdout()).toBe('');
    // The controller's one problem is shown (apps/controller/test/api/delete-many.medium.spec.ts: its why says nothing was deleted).
    expect(r.io.stderr()).toBe('error: HVS-STORE-NOT-FOUND: ghost: VirtualMachine "ghost" does not exist: nothing was deleted; fix: check the name\n');
    expect(fake.deletes).toHaveLength(1);
    expect(left()).toEqual(['db-1', 'web-1', 'web-2', 'web-3']);
  });

  it('--ignore-not-found with several names deletes the others', async () => {
    const r = await hvctl(['delete', 'vm', 'web-1', 'ghost', '--ignore-not-found']);
    expect(r.code).toBe(0);
    expect(r.io.stdout()).toBe('virtualmachine/web-1 deleted\n');
    expect(fake.deletes[0]).toMatchObject({ names: ['web-1', 'ghost'], ignoreNotFound: true });
  });

  it('one name still goes in `name` (every controller version reads it), and --ignore-not-found still works for it', async () => {
    expect((await hvctl(['delete', 'vm', 'web-1'])).io.stdout()).toBe('virtualmachine/web-1 deleted\n');
    expect(fake.deletes[0]).toMatchObject({ name: 'web-1', names: [] });
    const again = await hvctl(['delete', 'vm', 'web-1', '--ignore-not-found']);
    expect(again.code).toBe(0);
    expect(again.io.stdout() + again.io.stderr()).toBe('');
  });

  it('-l: one request with the selector; what matched is listed; no match is said on stderr, exit 0', async () => {
    const r = await hvctl(['delete', 'vm', '-l', 'app=web']);
    expect(r.code).toBe(0);
    expect(r.io.stdout().trimEnd().split('\n').sort()).toEqual(['virtualmachine/web-1 deleted', 'virtualmachine/web-2 deleted', 'virtualmachine/web-3 deleted']);
    expect(fake.deletes).toEqual([expect.objectContaining({ kind: 'VirtualMachine', name: '', names: [], labelSelector: 'app=web' })]);
    const none = await hvctl(['delete', 'vm', '-l', 'app=web']);
    expect(none.code).toBe(0);
    expect(none.io.stdout()).toBe('');
    expect(none.io.stderr()).toBe('No virtualmachines matched -l app=web: nothing deleted.\n');
    expect(left()).toEqual(['db-1']);
  });

  it.each([
    [['delete', 'vm', 'web-1', '-l', 'app=web'], 'give either NAMEs or -l SELECTOR, not both'],
    [['delete', 'vm'], 'delete vm needs NAMEs or -l SELECTOR'],
    [['delete', '-l', 'app=web'], 'delete needs KIND NAME..., KIND -l SELECTOR or -f FILE'],
    [['delete', 'vm', '-l', ''], '-l needs a selector'],
    [['delete', 'vm', '-l', 'app=web', '-f', 'x.yaml'], 'give either -f, or KIND with NAMEs or -l, not both'],
    [['delete', 'wombats', 'a', 'b'], '"wombats" is not a kind'],
  ])('hvctl %j is a usage error sent nowhere', async (argv, message) => {
    const r = await hvctl(argv);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toMatch(new RegExp(`^error: HVS-CLI-USAGE: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(fake.deletes).toEqual([]);
    expect(left()).toEqual(['db-1', 'web-1', 'web-2', 'web-3']);
  });
});

/** A VM bound to node-a, carrying the host clean-up finalizer; `deleting` is its Deleting condition once terminating. */
function boundVm(name: string, deleting?: { reason: string; message: string }): void {
  fake.objects.set(`VirtualMachine/${name}`, {
    apiVersion: 'hvs/v1', kind: 'VirtualMachine',
    metadata: { name, uid: 'u-1', generation: 1, finalizers: ['hvs.dev/host-cleanup'] } as never,
    spec: { cpu: { cores: 1 }, memory: { size: '64MiB' }, disks: [], networks: [], runState: 'Running' },
    status: { phase: 'Running', node: 'node-a', ...(deleting ? { conditions: [{ type: 'Deleting', status: 'True', lastTransitionTime: '2026-01-01T12:00:00Z', ...deleting }] } : {}) },
  } as never);
}

describe('hvctl delete --wait', () => {
  it('shows what the deletion waits on, then reports the object deleted once it is gone', async () => {
    boundVm('web', { reason: 'AwaitingNodeCleanup', message: 'waiting for the agent on node node-a to confirm domain hvs-u-1 is undefined' });
    let gets = 0;
    fake.onGet = (_kind, name) => {
      if (++gets === 3) fake.objects.delete(`VirtualMachine/${name}`);
    };
    const { code, io } = await hvctl(['delete', 'vm', 'web', '--wait', '--timeout', '1m']);
    expect(code).toBe(0);
    expect(io.stdout()).toBe('virtualmachine/web deleted\n');
    expect(io.stderr()).toContain('waiting for 1/1 deletion(s): virtualmachine/web: AwaitingNodeCleanup: waiting for the agent on node node-a');
    expect(gets).toBe(3);
  });

  it('on the deadline fails with HVS-CLI-DELETE-TIMEOUT naming the pending finalizer, the node and how to force', async () => {
    boundVm('stuck', { reason: 'NodeNotReady', message: 'node node-a is not Ready, Ready=Unknown (NodeLeaseExpired): its agent removes domain hvs-u-1 and its volumes when it is back' });
    const { code, io } = await hvctl(['delete', 'vm', 'stuck', '--wait', '--timeout', '5s']);
    expect(code).toBe(1);
    const err = io.stderr();
    expect(err).toContain('HVS-CLI-DELETE-TIMEOUT');
    expect(err).toContain('1 of 1 object(s) were not gone within 5.0s');
    expect(err).toContain('virtualmachine/stuck: still deleting: finalizer hvs.dev/host-cleanup pending (NodeNotReady)');
    expect(err).toContain('node node-a is not Ready');
    expect(err).toContain('hvctl delete vm stuck --force');
    expect(fake.objects.get('VirtualMachine/stuck')?.metadata).toMatchObject({ deletionTimestamp: expect.any(String) });
  });

  it('without --wait only says the deletion was requested', async () => {
    boundVm('web');
    const { code, io } = await hvctl(['delete', 'vm', 'web']);
    expect(code).toBe(0);
    expect(io.stdout()).toBe('virtualmachine/web deletion requested\n');
  });

  it('--force removes it at once and warns what may be left on the host', async () => {
    boundVm('gone-host', { reason: 'NodeGone', message: 'node node-a no longer exists' });
    const { code, io } = await hvctl(['delete', 'vm', 'gone-host', '--force', '--wait']);
    expect(code).toBe(0);
    expect(io.stdout()).toBe('virtualmachine/gone-host deleted\n');
    expect(io.stderr()).toContain('warning: virtualmachine/gone-host: forced past finalizer hvs.dev/host-cleanup: node node-a may still hold domain');
    expect(fake.objects.has('VirtualMachine/gone-host')).toBe(false);
  });
});
