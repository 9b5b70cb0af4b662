import { HvsError } from '@hvs/domain';
import { startEtcd, freePort, type EtcdInstance } from '../../../../test/harness';
import { EtcdStore, type WatchEvent } from '../../src/store';
import { describeObjectStoreContract } from './contract';
import { summary, vm, watchReader } from './watch-reader';

// Real processes: each wait inside has its own deadline (waitFor); this is only the outer bound.
jest.setTimeout(30_000);

let etcd: EtcdInstance;
const stores: EtcdStore[] = [];
function newStore(options: Partial<ConstructorParameters<typeof EtcdStore>[0]> = {}): EtcdStore {
  const store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 5_000, ...options });
  stores.push(store);
  return store;
}

beforeAll(async () => {
  etcd = await startEtcd();
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await etcd?.stop();
});

describeObjectStoreContract('EtcdStore (real etcd)', async () => {
  const store = newStore();
  await store.connection.client.delete().prefix('/hvs/').exec();
  return { store, compact: (revision) => store.compact(revision) };
});

describe('EtcdStore against real etcd', () => {
  beforeEach(async () => {
    const s = newStore();
    await s.connection.client.delete().prefix('/hvs/').exec();
  });

  it('stores objects at /hvs/v1/<kind lowercased>/<name> as JSON without resourceVersion', async () => {
    const store = newStore();
    const created = await store.create(vm('web-1'));
    const raw = await store.connection.client.get('/hvs/v1/virtualmachine/web-1').string();
    const parsed = JSON.parse(raw!);
    expect(parsed.metadata.uid).toBe(created.metadata.uid);
    expect(parsed.metadata.resourceVersion).toBeUndefined();
  });

  it('resumes a watch across an etcd restart with no gap and no duplicate', async () => {
    const writer = newStore();
    const watcher = newStore();
    const { revision } = await writer.list('VirtualMachine');
    const w = watcher.watch('VirtualMachine', revision);
    const reader = watchReader(w);
    try {
      const a = await writer.create(vm('a'));
      const before = await reader.take(1);
      await etcd.restart();
      // Written while the watch is still re-connecting: must be replayed from the last revision + 1.
      await writer.create(vm('b'));
      await writer.create(vm('c'));
      await writer.update({ ...a, spec: { n: 2 } });
      const after = await reader.take(3, 20_000);
      const all: WatchEvent[] = [...before, ...after];
      expect(summary(all)).toMatch(/^ADDED a@\d+, ADDED b@\d+, ADDED c@\d+, MODIFIED a@\d+$/);
      const revs = all.map((e) => Number(e.revision));
      expect(new Set(revs).size).toBe(4);
      // Nothing more arrives (a duplicate would show up as a 5th event).
      await writer.create(vm('d'));
      expect(summary(await reader.take(1))).toMatch(/^ADDED d@/);
    } finally {
      await w.close();
    }
  });

  it('fails fast with HVS-STORE-UNAVAILABLE naming the endpoint when etcd does not answer', async () => {
    const port = await freePort();
    const store = newStore({ endpoints: [`http://127.0.0.1:${port}`], callTimeoutMs: 1_000, watchReconnectTimeoutMs: 1_000 });
    let err: unknown;
    try {
      await store.get('VirtualMachine', 'a');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HvsError);
    const h = err as HvsError;
    expect([h.code, h.category]).toEqual(['HVS-STORE-UNAVAILABLE', 'Unavailable']);
    expect(h.toString()).toContain(`etcd at http://127.0.0.1:${port} is not reachable`);
    expect(h.fix).toContain('hvctl diagnose');
    const w = store.watch('VirtualMachine', '1');
    try {
      const werr = (await watchReader(w).error(10_000)) as HvsError;
      expect(werr.code).toBe('HVS-STORE-UNAVAILABLE');
    } finally {
      await w.close();
    }
  });

  it('refuses a batch larger than one transaction may hold, before writing anything', async () => {
    const store = newStore({ maxTxnOps: 2 });
    await expect(store.applyBatch([1, 2, 3].map((i) => ({ op: 'create' as const, object: vm(`v${i}`) }))))
      .rejects.toMatchObject({ code: 'HVS-STORE-INVALID-WRITE' });
    expect((await store.list('VirtualMachine')).items).toEqual([]);
  });

  it("etcd's own size limits (too many ops, request too large) become HVS-STORE-BATCH-TOO-LARGE naming the fix; nothing is written", async () => {
    const store = newStore({ maxTxnOps: 1000 }); // more than this etcd (default --max-txn-ops 128) takes
    const many = await store.applyBatch(Array.from({ length: 200 }, (_, i) => ({ op: 'create' as const, object: vm(`many-${i}`) }))).catch((e: unknown) => e as HvsError);
    expect(many).toMatchObject({ code: 'HVS-STORE-BATCH-TOO-LARGE', category: 'InvalidArgument' });
    expect((many as HvsError).message).toMatch(/^etcd refused a batch of 200 operations \(0\.\d\d MiB\): etcdserver: too many operations in txn request; nothing was written$/);
    expect((many as HvsError).fix).toContain('HVS_ETCD_MAX_TXN_OPS');
    const big = await store.applyBatch(Array.from({ length: 100 }, (_, i) => ({ op: 'create' as const, object: { ...vm(`big-${i}`), spec: { userData: 'x'.repeat(20_000) } } })))
      .catch((e: unknown) => e as HvsError);
    expect(big).toMatchObject({ code: 'HVS-STORE-BATCH-TOO-LARGE', message: expect.stringMatching(/batch of 100 operations \(1\.9\d MiB\): etcdserver: request is too large/) });
    expect((big as HvsError).why).toMatch(/--max-request-bytes \(1\.5 MiB by default\)/);
    expect((await store.list('VirtualMachine')).items).toEqual([]);
  });

  it('against etcd started as `hvctl up` starts it (--max-txn-ops 1024, 8 MiB requests), 300 objects of 8 KB are one all-or-nothing transaction', async () => {
    const local = await startEtcd({ args: ['--max-txn-ops', '1024', '--max-request-bytes', String(8 * 1024 * 1024)] });
    try {
      const store = newStore({ endpoints: [local.endpoint], maxTxnOps: 1024 });
      const ops = Array.from({ length: 300 }, (_, i) => ({ op: 'create' as const, object: { ...vm(`v${i}`), spec: { userData: 'x'.repeat(8_000) } } }));
      const r = await store.applyBatch(ops);
      expect(new Set(r.results.map((x) => x.object?.metadata.resourceVersion))).toEqual(new Set([r.revision]));
      expect((await store.list('VirtualMachine')).items).toHaveLength(300);
    } finally {
      await local.stop();
    }
  });

  it('getMany reads more refs than one transaction may hold in several, still in order', async () => {
    const store = newStore({ maxTxnOps: 2 });
    const made = [];
    for (const i of [1, 2, 4]) made.push(await store.create(vm(`v${i}`)));
    const got = await store.getMany([1, 2, 3, 4, 5].map((i) => ({ kind: 'VirtualMachine', name: `v${i}` })));
    expect(got).toEqual([made[0], made[1], undefined, made[2], undefined]);
  });

  it('retries unpinned writes that lose a race; pinned ones get Conflict', async () => {
    const store = newStore();
    const base = await store.create(vm('a'));
    const writers = Array.from({ length: 5 }, (_, i) =>
      store.updateStatus({ ...base, metadata: { name: 'a' }, status: { phase: `p${i}` } }));
    const results = await Promise.all(writers);
    expect(results).toHaveLength(5);
    const pinned = await Promise.allSettled(Array.from({ length: 3 }, (_, i) =>
      store.update({ ...base, spec: { n: i } })));
    expect(pinned.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code))
      .toEqual(['HVS-STORE-CONFLICT', 'HVS-STORE-CONFLICT', 'HVS-STORE-CONFLICT']);
  });
});
