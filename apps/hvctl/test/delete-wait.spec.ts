/**
 * `hvctl delete --wait` and `--force` over the wire against the fake controller: progress from
 * the Deleting condition, a coded timeout naming what is pending, and a forced delete's warning.
 * The fake io's sleep advances its clock at once, so the waits take no real time.
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
