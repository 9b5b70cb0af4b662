import type { VirtualMachine } from '@hvs/domain';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { StatusBatcher } from '../../src/runtime';
import { EtcdStore } from '../../src/store';
import { CountingStore } from '../store/counting-store';
import { vmDoc } from './fixtures';

jest.setTimeout(30_000);

let etcd: EtcdInstance;
let store: EtcdStore;

beforeAll(async () => {
  etcd = await startEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
});
afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

describe('StatusBatcher (real etcd)', () => {
  it('commits concurrent CAS writes in shared transactions; one stale write fails alone, the others land', async () => {
    const vms = await Promise.all(Array.from({ length: 10 }, (_, i) => store.create(vmDoc(`b-${i}`))));
    // b-3 changes after it was read: its write below carries a stale resourceVersion.
    await store.updateStatus({ ...vms[3]!, status: { phase: 'Pending' } });
    const batcher = new StatusBatcher(store, 4);
    const results = await Promise.allSettled(vms.map((vm) => batcher.write({ ...vm, status: { phase: 'Scheduled', node: 'n1' } })));

    expect(results.map((r) => r.status)).toEqual(vms.map((_, i) => (i === 3 ? 'rejected' : 'fulfilled')));
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'HVS-STORE-CONFLICT' });
    for (const [i, vm] of vms.entries()) {
      const stored = await store.get<VirtualMachine>('VirtualMachine', vm.metadata.name);
      expect(stored.status).toEqual(i === 3 ? { phase: 'Pending' } : { phase: 'Scheduled', node: 'n1' });
    }
    // 10 writes, at most 4 per transaction, the first alone (nothing queued yet): [b-0], [b-1..b-4]
    // failed and split into [b-1,b-2] and [b-3,b-4], the latter split again; [b-5..b-8], [b-9].
    expect(batcher.stats.writes).toBe(10);
    expect(batcher.stats.transactions).toBe(8);
    expect(batcher.stats.fallbacks).toBe(2);
  });

  it('isolates one stale write among many by halving: 2·log2(n) extra attempts, not n', async () => {
    const vms = await store.applyBatch(Array.from({ length: 33 }, (_, i) => ({ op: 'create' as const, object: vmDoc(`h-${i}`) })));
    const objects = vms.results.map((r) => r.object as VirtualMachine);
    await store.updateStatus({ ...objects[20]!, status: { phase: 'Pending' } });
    const counting = new CountingStore(store);
    const batcher = new StatusBatcher(counting);
    const results = await Promise.allSettled(objects.map((vm) => batcher.write({ ...vm, status: { phase: 'Running' } })));

    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((results[20] as PromiseRejectedResult).reason).toMatchObject({ code: 'HVS-STORE-CONFLICT' });
    const stored = await store.getMany<VirtualMachine>(objects.map((o) => ({ kind: 'VirtualMachine', name: o.metadata.name })));
    expect(stored.map((o) => o!.status?.phase)).toEqual(objects.map((_, i) => (i === 20 ? 'Pending' : 'Running')));
    // [h-0] alone, then the other 32 in one transaction that fails; halving down to h-20 takes
    // 5 levels of 2 attempts. Write-by-write fallback would be 1 + 1 + 32; no batching 33.
    expect(counting.counts.writes).toBe(1 + 1 + 2 * 5);
    expect(batcher.stats).toEqual({ transactions: 12, writes: 33, fallbacks: 5 });
  });
});
