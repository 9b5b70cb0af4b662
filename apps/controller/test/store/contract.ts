/**
 * The ObjectStore contract: every implementation (MemoryStore, EtcdStore) must pass it.
 * `factory` returns an empty store per test.
 */
import { HvsError } from '@hvs/domain';
import type { ObjectStore, StoredObject } from '../../src/store';
import { summary, vm, watchReader } from './watch-reader';

export interface ContractSubject {
  store: ObjectStore;
  /** Drops watch history before `revision` (etcd compaction). */
  compact(revision: string): Promise<void>;
}

async function rejection(p: Promise<unknown>): Promise<HvsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HvsError);
    return e as HvsError;
  }
  throw new Error('expected the call to fail');
}

export function describeObjectStoreContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: ObjectStore;
    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });
    afterEach(async () => {
      await store.close();
    });

    it('create sets uid, creationTimestamp, generation 1 and resourceVersion; get reads it back', async () => {
      const created = await store.create(vm('web-1', { app: 'web' }));
      expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.parse(created.metadata.creationTimestamp!)).not.toBeNaN();
      expect(created.metadata.generation).toBe(1);
      expect(created.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(await store.get('VirtualMachine', 'web-1')).toEqual(created);
    });

    it('refuses to create twice and reports missing objects with codes and fixes', async () => {
      await store.create(vm('web-1'));
      const dup = await rejection(store.create(vm('web-1')));
      expect([dup.code, dup.category]).toEqual(['HVS-STORE-ALREADY-EXISTS', 'AlreadyExists']);
      const missing = await rejection(store.get('VirtualMachine', 'nope'));
      expect([missing.code, missing.category]).toEqual(['HVS-STORE-NOT-FOUND', 'NotFound']);
      expect(missing.fix).toContain('hvctl get virtualmachine');
      const bad = await rejection(store.create(vm('Not_A_Name')));
      expect(bad.category).toBe('InvalidArgument');
    });

    it('rejects a stale resourceVersion with Conflict and writes nothing', async () => {
      const v1 = await store.create(vm('web-1'));
      const v2 = await store.update({ ...v1, spec: { ...(v1.spec as object), runState: 'Stopped' } });
      expect(Number(v2.metadata.resourceVersion)).toBeGreaterThan(Number(v1.metadata.resourceVersion));
      const err = await rejection(store.update({ ...v1, metadata: { ...v1.metadata, labels: { stale: 'yes' } } }));
      expect([err.code, err.category]).toEqual(['HVS-STORE-CONFLICT', 'Conflict']);
      expect(err.fix).toMatch(/re-read/);
      expect(await store.get('VirtualMachine', 'web-1')).toEqual(v2);
      const del = await rejection(store.delete('VirtualMachine', 'web-1', { resourceVersion: v1.metadata.resourceVersion }));
      expect(del.code).toBe('HVS-STORE-CONFLICT');
    });

    it('bumps generation only when spec changes; a no-op update writes nothing', async () => {
      const v1 = await store.create(vm('web-1'));
      const labelled = await store.update({ ...v1, metadata: { ...v1.metadata, labels: { a: 'b' } } });
      expect(labelled.metadata.generation).toBe(1);
      const respec = await store.update({ ...labelled, spec: { ...(labelled.spec as object), runState: 'Stopped' } });
      expect(respec.metadata.generation).toBe(2);
      const same = await store.update(structuredClone(respec));
      expect(same.metadata.resourceVersion).toBe(respec.metadata.resourceVersion);
      expect(same.metadata.generation).toBe(2);
    });

    it('keeps status on user writes and spec/labels on status writes', async () => {
      const v1 = await store.create(vm('web-1', { app: 'web' }));
      const st = await store.updateStatus({ ...v1, metadata: { ...v1.metadata, labels: {} }, spec: { wiped: true }, status: { phase: 'Running' } });
      expect(st.spec).toEqual(v1.spec);
      expect(st.metadata.labels).toEqual({ app: 'web' });
      expect(st.metadata.generation).toBe(1);
      const { status: _s, ...withoutStatus } = st;
      const user: StoredObject = await store.update({ ...withoutStatus, metadata: { ...st.metadata, labels: { app: 'db' } } });
      expect(user.status).toEqual({ phase: 'Running' });
      expect((await store.get('VirtualMachine', 'web-1')).status).toEqual({ phase: 'Running' });
    });

    it('applies a batch all or nothing', async () => {
      const existing = await store.create(vm('c'));
      await store.update({ ...existing, metadata: { ...existing.metadata, labels: { moved: 'on' } } });
      const err = await rejection(store.applyBatch([
        { op: 'create', object: vm('a') }, { op: 'create', object: vm('b') }, { op: 'update', object: existing },
      ]));
      expect(err.code).toBe('HVS-STORE-CONFLICT');
      expect((await store.list('VirtualMachine')).items.map((o) => o.metadata.name)).toEqual(['c']);

      const ok = await store.applyBatch([
        { op: 'create', object: vm('a') }, { op: 'create', object: vm('b') },
        { op: 'updateStatus', object: { ...existing, metadata: { name: 'c' }, status: { phase: 'Pending' } } },
      ]);
      expect(ok.results.map((r) => r.outcome)).toEqual(['created', 'created', 'updated']);
      expect(new Set(ok.results.map((r) => r.object.metadata.resourceVersion))).toEqual(new Set([ok.revision]));
      const dup = await rejection(store.applyBatch([{ op: 'create', object: vm('d') }, { op: 'create', object: vm('d') }]));
      expect(dup.category).toBe('InvalidArgument');
    });

    it('getMany reads several objects of several kinds in order, undefined where none is stored', async () => {
      const a = await store.create(vm('a'));
      const c = await store.updateStatus({ ...(await store.create(vm('c'))), status: { phase: 'Running' } });
      const net = await store.create({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'a' }, spec: {} });
      const got = await store.getMany([
        { kind: 'VirtualMachine', name: 'c' }, { kind: 'VirtualMachine', name: 'b' }, { kind: 'Network', name: 'a' }, { kind: 'VirtualMachine', name: 'a' },
      ]);
      expect(got).toEqual([c, undefined, net, a]);
      expect(await store.getMany([])).toEqual([]);
      expect((await rejection(store.getMany([{ kind: 'VirtualMachine', name: 'Bad_Name' }]))).category).toBe('InvalidArgument');
    });

    it('a batch of creates naming an existing object fails with AlreadyExists and writes none of them', async () => {
      const existing = await store.create(vm('b'));
      const err = await rejection(store.applyBatch([{ op: 'create', object: vm('a') }, { op: 'create', object: vm('b') }]));
      expect([err.code, err.category]).toEqual(['HVS-STORE-ALREADY-EXISTS', 'AlreadyExists']);
      expect(err.message).toContain('"b"');
      expect((await store.list('VirtualMachine')).items).toEqual([existing]);
    });

    it('lists by label selector with the revision it read at', async () => {
      await store.create(vm('web-1', { app: 'web', tier: 'front' }));
      await store.create(vm('web-2', { app: 'web', tier: 'back' }));
      const db = await store.create(vm('db-1', { app: 'db' }));
      await store.create({ ...vm('other'), kind: 'Network' });
      const names = async (sel?: string) => (await store.list('VirtualMachine', { labelSelector: sel })).items.map((o) => o.metadata.name);
      expect(await names()).toEqual(['db-1', 'web-1', 'web-2']);
      expect(await names('app=web,tier!=back')).toEqual(['web-1']);
      expect(await names('tier in (back,front)')).toEqual(['web-1', 'web-2']);
      expect(await names('!tier')).toEqual(['db-1']);
      const { revision } = await store.list('VirtualMachine');
      expect(Number(revision)).toBeGreaterThanOrEqual(Number(db.metadata.resourceVersion));
      expect((await rejection(store.list('VirtualMachine', { labelSelector: 'app in web' }))).code).toBe('HVS-LABEL-SELECTOR-INVALID');
    });

    it('watches ADDED, MODIFIED, DELETED in order after the listed revision, only for its kind', async () => {
      const { revision } = await store.list('VirtualMachine');
      const w = store.watch('VirtualMachine', revision);
      try {
        const a = await store.create(vm('a'));
        await store.create({ ...vm('net'), kind: 'Network' });
        const a2 = await store.update({ ...a, spec: { changed: true } });
        await store.delete('VirtualMachine', 'a');
        const events = await watchReader(w).take(3);
        expect(summary(events)).toMatch(/^ADDED a@\d+, MODIFIED a@\d+, DELETED a@\d+$/);
        expect(events[0]!.object).toEqual(a);
        expect(events[1]!.object).toEqual(a2);
        expect(events[2]!.object.spec).toEqual({ changed: true });
        const revs = events.map((e) => Number(e.revision));
        expect(revs).toEqual([...revs].sort((x, y) => x - y));
        expect(new Set(revs).size).toBe(3);
      } finally {
        await w.close();
      }
    });

    it('watches from a given revision: replays what came after it, then live changes', async () => {
      const a = await store.create(vm('a'));
      await store.update({ ...a, spec: { n: 2 } });
      const w = store.watch('VirtualMachine', a.metadata.resourceVersion);
      try {
        const r = watchReader(w);
        expect(summary(await r.take(1))).toMatch(/^MODIFIED a@/);
        await store.create(vm('b'));
        expect(summary(await r.take(1))).toMatch(/^ADDED b@/);
      } finally {
        await w.close();
      }
    });

    it('deletes with finalizers in two steps: deletionTimestamp first, removal when they are gone', async () => {
      const created = await store.create(vm('a', undefined, { metadata: { name: 'a', finalizers: ['hvs.io/disks'] } }));
      const w = store.watch('VirtualMachine', created.metadata.resourceVersion);
      try {
        const first = await store.delete('VirtualMachine', 'a');
        expect(first.deleted).toBe(false);
        expect(first.object.metadata.deletionTimestamp).toBeDefined();
        const again = await store.delete('VirtualMachine', 'a');
        expect(again).toEqual({ deleted: false, object: first.object });
        const terminating = await store.get('VirtualMachine', 'a');
        await store.update({ ...terminating, metadata: { ...terminating.metadata, finalizers: [] } });
        expect((await rejection(store.get('VirtualMachine', 'a'))).code).toBe('HVS-STORE-NOT-FOUND');
        expect(summary(await watchReader(w).take(2))).toMatch(/^MODIFIED a@\d+, DELETED a@\d+$/);
      } finally {
        await w.close();
      }
    });

    it('ends a watch from a compacted revision with Gone', async () => {
      const a = await store.create(vm('a'));
      const b = await store.update({ ...a, spec: { n: 2 } });
      await store.update({ ...b, spec: { n: 3 } });
      await subject.compact((await store.list('VirtualMachine')).revision);
      const w = store.watch('VirtualMachine', a.metadata.resourceVersion);
      try {
        const err = (await watchReader(w).error()) as HvsError;
        expect([err.code, err.category]).toEqual(['HVS-STORE-WATCH-GONE', 'Gone']);
        expect(err.fix).toMatch(/list again/);
      } finally {
        await w.close();
      }
    });
  });
}
