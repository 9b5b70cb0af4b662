import { HvsError } from '@hvs/domain';
import { AuditService } from '../../src/audit';
import { ResourceService } from '../../src/services';
import { MemoryStore } from '../../src/store';
import { CountingStore } from '../store/counting-store';
import { BAD_SECOND_DOCUMENT, batch, NETWORK_YAML, seedLan, vmYaml } from './manifests';
import { asUser } from '../identity/as-user';

const ctx = asUser('alice');

function setup() {
  const store = new MemoryStore();
  const audit = new AuditService(store);
  return { store, audit, service: new ResourceService(store, audit) };
}

async function caught(p: Promise<unknown>): Promise<HvsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HvsError) return e;
    throw e;
  }
  throw new Error('expected an HvsError');
}

describe('ResourceService (MemoryStore)', () => {
  it('creates, then reports unchanged, then configured with the field and its restart effect', async () => {
    const { service } = setup();
    const first = await service.apply([{ content: batch(NETWORK_YAML, vmYaml('web-1')), file: 'lab.yaml' }], {}, ctx);
    expect(first.results.map((r) => [r.kind, r.name, r.action, r.generation])).toEqual([['Network', 'lan', 'created', 1], ['VirtualMachine', 'web-1', 'created', 1]]);
    const again = await service.apply([{ content: batch(NETWORK_YAML, vmYaml('web-1')) }], {}, ctx);
    expect(again.results.map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
    expect(again.resourceVersion).toBe('');
    const plan = await service.plan([{ content: vmYaml('web-1', { memory: '1GiB' }) }], {}, ctx);
    expect(plan).toEqual([{ kind: 'VirtualMachine', name: 'web-1', action: 'update', changes: [{ path: 'spec.memory.size', old: '512MiB', new: '1GiB', effect: 'restart' }] }]);
    const edited = await service.apply([{ content: vmYaml('web-1', { memory: '1GiB' }) }], {}, ctx);
    expect(edited.results[0]).toMatchObject({ action: 'configured', generation: 2 });
  });

  it('a dry run with one bad document writes nothing, not even an audit record, and lists every problem with its document', async () => {
    const { service, store } = setup();
    const before = await store.list('Audit');
    const err = await caught(service.apply([{ content: BAD_SECOND_DOCUMENT, file: 'two.yaml' }], { dryRun: true }, ctx));
    expect(err.code).toBe('HVS-APPLY-BATCH-INVALID');
    expect(err.problems.length).toBeGreaterThanOrEqual(2);
    for (const p of err.problems) expect(p.path).toMatch(/^two\.yaml: document 2 \(line \d+\)/);
    expect((await store.list('VirtualMachine')).items).toEqual([]);
    expect((await store.list('Audit')).revision).toBe(before.revision);
  });

  it('records failed mutating calls in the audit log, and resolves short kind names', async () => {
    const { service, audit } = setup();
    await caught(service.apply([{ content: BAD_SECOND_DOCUMENT }], {}, ctx));
    const err = await caught(service.delete('vm', 'ghost', {}, ctx));
    expect(err.code).toBe('HVS-STORE-NOT-FOUND');
    expect(err.fix).toMatch(/hvctl get/);
    const { records } = await audit.list();
    expect(records.map((r) => [r.operation, r.result, r.code])).toEqual([['delete', 'error', 'HVS-STORE-NOT-FOUND'], ['apply', 'error', 'HVS-APPLY-BATCH-INVALID']]);
    expect((await caught(service.list('vmz', undefined, ctx))).message).toMatch(/did you mean "VirtualMachine"/);
  });

  it('refuses requests over 1 MiB before parsing them', async () => {
    const { service } = setup();
    const huge = `# ${'x'.repeat(1024 * 1024)}\n${vmYaml('a')}`;
    const err = await caught(service.apply([{ content: huge }], {}, ctx));
    expect(err).toMatchObject({ code: 'HVS-API-REQUEST-TOO-LARGE', category: 'ResourceExhausted' });
  });

  it('prunes objects matching the selector that the documents no longer name, in the same batch', async () => {
    const { service, store } = setup();
    await seedLan(store);
    await service.apply([{ content: batch(vmYaml('a'), vmYaml('b'), vmYaml('keep', { labels: { app: 'other' } })) }], {}, ctx);
    const r = await service.apply([{ content: vmYaml('a') }], { prune: 'app=web' }, ctx);
    expect(r.results.map((x) => [x.name, x.action])).toEqual([['a', 'unchanged'], ['b', 'pruned']]);
    expect((await store.list('VirtualMachine')).items.map((o) => o.metadata.name).sort()).toEqual(['a', 'keep']);
  });

  it('reads all documents of an apply in one store read and writes them with their audit records in one batch (two past 128 ops)', async () => {
    const store = new CountingStore(new MemoryStore());
    const service = new ResourceService(store, new AuditService(store));
    const names = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}-${i}`);
    const small = await service.apply([{ content: batch(NETWORK_YAML, ...names(39, 'a').map((n) => vmYaml(n))) }], {}, ctx);
    expect(small.results.map((r) => r.action)).toEqual(Array(40).fill('created'));
    // Admission lists Networks, Images, Nodes and StoragePools once per apply (references, subnets, pools).
    expect(store.counts).toEqual({ get: 0, getMany: 1, list: 4, writes: 1 });
    expect(store.batchSizes).toEqual([80]);

    // 100 creates + 100 audit records exceed one transaction: the records follow in a second one.
    const big = await service.apply([{ content: batch(...names(100, 'b').map((n) => vmYaml(n))) }], {}, ctx);
    expect(big.results.filter((r) => r.action === 'created')).toHaveLength(100);
    expect(store.counts).toEqual({ get: 0, getMany: 2, list: 8, writes: 3 });
    expect(store.batchSizes.slice(1)).toEqual([100, 100]);
    expect((await store.list('Audit')).items).toHaveLength(140);
  });

  it('gives Conflict for a document carrying a stale resourceVersion and writes nothing', async () => {
    const { service, store } = setup();
    await seedLan(store);
    await service.apply([{ content: vmYaml('web-1') }], {}, ctx);
    const rv = (await store.get('VirtualMachine', 'web-1')).metadata.resourceVersion!;
    await service.apply([{ content: vmYaml('web-1', { memory: '1GiB' }) }], {}, ctx);
    const stale = vmYaml('web-1', { memory: '2GiB' }).replace('  name: web-1', `  name: web-1\n  resourceVersion: "${rv}"`);
    const err = await caught(service.apply([{ content: stale }], {}, ctx));
    expect(err.category).toBe('Conflict');
    expect(((await store.get('VirtualMachine', 'web-1')).spec as { memory: { size: string } }).memory.size).toBe('1GiB');
  });
});
