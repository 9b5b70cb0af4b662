/**
 * ResourceService.deleteMany (hvctl delete vm a b c, hvctl delete vm -l app=web): several
 * objects of one kind in ONE store batch with their audit records, or nothing. Counted on a
 * MemoryStore (one read, one write); test/api/delete-many.medium.spec.ts runs the same over gRPC and
 * REST against real etcd.
 */
import { HvsError } from '@hvs/domain';
import { AuditService } from '../../src/audit';
import { ResourceService } from '../../src/services';
import { MemoryStore } from '../../src/store';
import { CountingStore } from '../store/counting-store';
import { batch, seedLan, vmYaml } from './manifests';
import { asUser } from '../identity/as-user';

const ctx = asUser('alice');

async function setup(names: string[], labels: Record<string, string> = { app: 'web' }) {
  const store = new CountingStore(new MemoryStore());
  const audit = new AuditService(store);
  const service = new ResourceService(store, audit);
  await seedLan(store);
  await service.apply([{ content: batch(...names.map((n) => vmYaml(n, { labels }))) }], {}, ctx);
  store.counts.getMany = 0;
  store.counts.list = 0;
  store.counts.writes = 0;
  store.batchSizes.length = 0;
  return { store, audit, service, names: async () => (await store.list('VirtualMachine')).items.map((o) => o.metadata.name).sort() };
}

/** The HvsError `p` rejects with (fails the test when it resolves or rejects otherwise). */
const caught = (p: Promise<unknown>): Promise<HvsError> =>
  p.then(() => Promise.reject(new Error('expected an HvsError')), (e: unknown) => (e instanceof HvsError ? e : Promise.reject(e)));

describe('deleteMany', () => {
  it('deletes every name in one read and one write (3 deletes + 3 audit records), in request order; duplicates count once', async () => {
    const s = await setup(['a', 'b', 'c', 'd']);
    const out = await s.service.deleteMany('vm', { names: ['c', 'a', 'b', 'a'] }, {}, ctx);
    expect(out.map((o) => [o.object.metadata.name, o.gone])).toEqual([['c', true], ['a', true], ['b', true]]);
    expect(await s.names()).toEqual(['d']);
    expect(s.store.counts).toMatchObject({ getMany: 1, writes: 1 });
    expect(s.store.batchSizes).toEqual([6]);
    const { records } = await s.audit.list();
    expect(records.filter((r) => r.operation === 'delete').map((r) => [r.name, r.result, r.actor]).sort()).toEqual([['a', 'ok', 'user:alice'], ['b', 'ok', 'user:alice'], ['c', 'ok', 'user:alice']]);
  });

  it('one missing name: NotFound naming each missing one, and nothing is deleted', async () => {
    const s = await setup(['a', 'b']);
    const err = await caught(s.service.deleteMany('vm', { names: ['a', 'ghost', 'b', 'nope'] }, {}, ctx));
    expect(err).toMatchObject({ code: 'HVS-STORE-NOT-FOUND', category: 'NotFound' });
    expect(err.message).toBe('2 of the 4 VirtualMachine names do not exist: "ghost", "nope"');
    expect(err.why).toBe('nothing was deleted: a delete of several objects is all or nothing');
    for (const p of err.problems) expect(p.why).toBe(err.why);
    expect(err.fix).toMatch(/hvctl get virtualmachine.*--ignore-not-found/);
    expect(err.problems.map((p) => [p.code, p.path, p.message])).toEqual([
      ['HVS-STORE-NOT-FOUND', 'ghost', 'VirtualMachine "ghost" does not exist'], ['HVS-STORE-NOT-FOUND', 'nope', 'VirtualMachine "nope" does not exist']]);
    expect(await s.names()).toEqual(['a', 'b']);
    expect(s.store.counts.writes).toBe(1); // the failure's audit record only
    const { records } = await s.audit.list();
    expect(records[0]).toMatchObject({ operation: 'delete', result: 'error', code: 'HVS-STORE-NOT-FOUND', name: 'a,ghost,b,nope' });
  });

  it('ignoreNotFound deletes the names that exist', async () => {
    const s = await setup(['a', 'b']);
    const out = await s.service.deleteMany('vm', { names: ['a', 'ghost'], ignoreNotFound: true }, {}, ctx);
    expect(out.map((o) => o.object.metadata.name)).toEqual(['a']);
    expect(await s.names()).toEqual(['b']);
    expect(await s.service.deleteMany('vm', { names: ['ghost'], ignoreNotFound: true }, {}, ctx)).toEqual([]);
  });

  it('a label selector deletes every match in one batch and leaves the rest; none matching deletes nothing', async () => {
    const s = await setup(['w-1', 'w-2']);
    await s.service.apply([{ content: vmYaml('db-1', { labels: { app: 'db' } }) }], {}, ctx);
    s.store.counts.writes = 0;
    const out = await s.service.deleteMany('vms', { labelSelector: 'app=web' }, {}, ctx);
    expect(out.map((o) => o.object.metadata.name).sort()).toEqual(['w-1', 'w-2']);
    expect(await s.names()).toEqual(['db-1']);
    expect(s.store.counts.writes).toBe(1);
    expect(await s.service.deleteMany('vm', { labelSelector: 'app=nothing' }, {}, ctx)).toEqual([]);
    expect(s.store.counts.writes).toBe(1);
  });

  it.each([
    ['neither names nor a selector', {}],
    ['both names and a selector', { names: ['a'], labelSelector: 'app=web' }],
    ['an empty selector (it would match everything)', { labelSelector: '  ' }],
  ])('%s: HVS-API-DELETE-TARGET-INVALID, nothing deleted', async (_what, target) => {
    const s = await setup(['a']);
    const err = await caught(s.service.deleteMany('vm', target, {}, ctx));
    expect(err).toMatchObject({ code: 'HVS-API-DELETE-TARGET-INVALID', category: 'InvalidArgument' });
    expect(await s.names()).toEqual(['a']);
  });

  it('a bad selector or kind is refused before anything is read', async () => {
    const s = await setup(['a']);
    expect((await caught(s.service.deleteMany('vm', { labelSelector: 'app in (' }, {}, ctx))).category).toBe('InvalidArgument');
    expect((await caught(s.service.deleteMany('wombat', { names: ['a'] }, {}, ctx))).code).toBe('HVS-KIND-UNKNOWN');
    expect(s.store.counts).toMatchObject({ getMany: 0, list: 0 });
    expect(await s.names()).toEqual(['a']);
  });

  it('a concurrent change between the read and the write re-reads and deletes the new version', async () => {
    const s = await setup(['a', 'b']);
    let slipped = false;
    s.store.beforeBatch = async (ops) => {
      if (slipped || !ops.some((o) => o.op === 'delete')) return;
      slipped = true;
      await s.service.apply([{ content: vmYaml('b', { memory: '1GiB' }) }], {}, asUser('bob'));
    };
    const out = await s.service.deleteMany('vm', { names: ['a', 'b'] }, {}, ctx);
    expect(out.map((o) => [o.object.metadata.name, o.object.metadata.generation])).toEqual([['a', 1], ['b', 2]]);
    expect(await s.names()).toEqual([]);
  });
});
