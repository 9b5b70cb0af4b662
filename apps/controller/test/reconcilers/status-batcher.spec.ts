import type { VirtualMachine } from '@hvs/domain';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { StatusBatcher } from '../../src/reconcilers';
import { EtcdStore } from '../../src/store';
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
    // 10 writes, at most 4 per transaction, the first alone (nothing queued yet): fewer transactions than writes.
    expect(batcher.stats.writes).toBe(10);
    expect(batcher.stats.transactions).toBeLessThan(10);
    expect(batcher.stats.fallbacks).toBe(1);
  });
});
