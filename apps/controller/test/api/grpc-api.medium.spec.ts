/** The gRPC API end to end: generated hvs.v1 clients -> grpc-js server -> services -> real etcd. */
import { status, type ClientReadableStream } from '@grpc/grpc-js';
import { hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { BAD_SECOND_DOCUMENT, batch, NETWORK_YAML, vmYaml } from '../services/manifests';
import { bindVm, call, documents, rejection, startController, type ControllerUnderTest } from './controller-under-test';

jest.setTimeout(30_000);

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
});
afterAll(async () => {
  await ctl?.close();
  await etcd?.stop();
});

const apply = (yaml: string, extra: Partial<v1.ApplyRequest> = {}) =>
  call(ctl.resources, ctl.resources.apply, { documents: documents(yaml), dryRun: false, fieldManager: '', pruneSelector: '', ...extra });
const plan = (yaml: string) => call(ctl.resources, ctl.resources.plan, { documents: documents(yaml), fieldManager: '', pruneSelector: '' });
const list = (kind: string, labelSelector = '') => call(ctl.resources, ctl.resources.list, { kind, labelSelector, limit: 0, continueToken: '' });
const audit = () => call(ctl.audit, ctl.audit.list, { kind: '', name: '', actor: '', since: '', limit: 1000, continueToken: '' });

/** Reads `n` messages from a server stream, each within a deadline. */
function take<T>(stream: ClientReadableStream<T>, n: number): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    const timer = setTimeout(() => reject(new Error(`stream: ${out.length} of ${n} messages before the deadline`)), 10_000);
    stream.on('data', (m: T) => {
      out.push(m);
      if (out.length === n) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    stream.on('error', (e) => {
      clearTimeout(timer);
      if (out.length < n) reject(e);
    });
  });
}

describe('hvs.v1 over gRPC against real etcd', () => {
  it('apply creates, re-apply is unchanged, a memory edit plans a restart (writing nothing) and applies as configured', async () => {
    const created = await apply(batch(NETWORK_YAML, vmYaml('web-1'), vmYaml('web-2')));
    expect(created.results.map((r) => [r.kind, r.name, r.action])).toEqual([
      ['Network', 'lan', v1.ApplyAction.CREATED], ['VirtualMachine', 'web-1', v1.ApplyAction.CREATED], ['VirtualMachine', 'web-2', v1.ApplyAction.CREATED]]);
    expect(Number(created.resourceVersion)).toBeGreaterThan(0);

    const again = await apply(batch(NETWORK_YAML, vmYaml('web-1'), vmYaml('web-2')));
    expect(again.results.map((r) => r.action)).toEqual([v1.ApplyAction.UNCHANGED, v1.ApplyAction.UNCHANGED, v1.ApplyAction.UNCHANGED]);

    const before = (await list('vm')).resourceVersion;
    const p = await plan(vmYaml('web-1', { memory: '2GiB' }));
    expect(p.objects[0]).toMatchObject({ kind: 'VirtualMachine', name: 'web-1', action: v1.PlanAction.UPDATE, effect: v1.ChangeEffect.RESTART });
    expect(p.objects[0]!.changes).toEqual([expect.objectContaining({ path: 'spec.memory.size', oldJson: '"512MiB"', newJson: '"2GiB"' })]);
    expect((await list('vm')).resourceVersion).toBe(before);

    const edited = await apply(vmYaml('web-1', { memory: '2GiB' }));
    expect(edited.results[0]).toMatchObject({ action: v1.ApplyAction.CONFIGURED, generation: 2 });
  });

  it('get and list with label selectors', async () => {
    await apply(batch(vmYaml('db-1', { labels: { app: 'db', tier: 'back' } }), vmYaml('db-2', { labels: { app: 'db' } })));
    const got = await call(ctl.resources, ctl.resources.get, { kind: 'VirtualMachine', name: 'db-1' });
    expect(got.metadata?.labels).toEqual({ app: 'db', tier: 'back' });
    expect(JSON.parse(got.specJson)).toMatchObject({ memory: { size: '512MiB' } });
    expect((await list('vms', 'app=db')).items.map((o) => o.metadata!.name)).toEqual(['db-1', 'db-2']);
    expect((await list('vm', 'app in (db),tier!=back')).items.map((o) => o.metadata!.name)).toEqual(['db-2']);
    const bad = hvsErrorFromServiceError(await rejection(list('vm', 'app in db')));
    expect(bad.code).toBe('HVS-LABEL-SELECTOR-INVALID');
  });

  it('watch from a resourceVersion streams ADDED, MODIFIED and DELETED', async () => {
    const from = (await list('vm')).resourceVersion;
    const stream = ctl.resources.watch({ kind: 'vm', labelSelector: 'app=watched', resourceVersion: from, bookmarkIntervalMs: 0 });
    try {
      const events = take(stream, 3);
      await apply(vmYaml('w-1', { labels: { app: 'watched' } }));
      await apply(vmYaml('w-1', { labels: { app: 'watched' }, runState: 'Stopped' }));
      await call(ctl.resources, ctl.resources.delete, { kind: 'vm', name: 'w-1', wait: true, resourceVersion: '', waitTimeoutMs: 0, names: [], labelSelector: '', ignoreNotFound: false });
      const got = await events;
      expect(got.map((e) => [e.type, e.object?.metadata?.name])).toEqual([
        [v1.WatchEventType.ADDED, 'w-1'], [v1.WatchEventType.MODIFIED, 'w-1'], [v1.WatchEventType.DELETED, 'w-1']]);
      expect(Number(got[2]!.resourceVersion)).toBeGreaterThan(Number(got[0]!.resourceVersion));
    } finally {
      stream.cancel();
    }
  });

  it('delete removes an object; deleting it again is NOT_FOUND with a fix', async () => {
    await apply(vmYaml('gone-1'));
    const d = await call(ctl.resources, ctl.resources.delete, { kind: 'vm', name: 'gone-1', wait: false, resourceVersion: '', waitTimeoutMs: 0, names: [], labelSelector: '', ignoreNotFound: false });
    expect(d.gone).toBe(true);
    const e = await rejection(call(ctl.resources, ctl.resources.delete, { kind: 'vm', name: 'gone-1', wait: false, resourceVersion: '', waitTimeoutMs: 0, names: [], labelSelector: '', ignoreNotFound: false }));
    expect(e.code).toBe(status.NOT_FOUND);
    expect(hvsErrorFromServiceError(e)).toMatchObject({ code: 'HVS-STORE-NOT-FOUND', fix: expect.stringContaining('hvctl get') });
  });

  it('delete of a VM bound to a node leaves it terminating; force (one name or several) removes it with a warning (the REST mirror: rest-api.spec.ts)', async () => {
    await apply(batch(vmYaml('bound-1'), vmYaml('bound-2')));
    for (const n of ['bound-1', 'bound-2']) await bindVm(ctl, n, 'node-far');
    const one = { kind: 'vm', wait: false, resourceVersion: '', waitTimeoutMs: 0, names: [], labelSelector: '', ignoreNotFound: false };
    const d = await call(ctl.resources, ctl.resources.delete, { ...one, name: 'bound-1' });
    expect(d.gone).toBe(false);
    expect(d.results).toEqual([expect.objectContaining({ gone: false, warnings: [] })]);
    expect(d.object?.metadata?.deletionTimestamp).toBeDefined();
    const f = await call(ctl.resources, ctl.resources.delete, { ...one, name: '', names: ['bound-1', 'bound-2'], force: true });
    expect(f.results.map((r) => [r.object?.metadata?.name, r.gone])).toEqual([['bound-1', true], ['bound-2', true]]);
    for (const r of f.results) expect(r.warnings).toEqual([expect.stringContaining('forced past finalizer hvs.dev/host-cleanup: node node-far may still hold domain hvs-')]);
  });

  it('a batch with one bad document writes nothing and returns every problem with its document index', async () => {
    const before = await list('vm');
    const e = await rejection(apply(BAD_SECOND_DOCUMENT));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    const err = hvsErrorFromServiceError(e);
    expect(err.code).toBe('HVS-APPLY-BATCH-INVALID');
    expect(err.problems.length).toBeGreaterThanOrEqual(2);
    for (const p of err.problems) expect(p.path).toMatch(/^lab\.yaml: document 2\b/);
    expect(err.problems.map((p) => p.code)).toEqual(expect.arrayContaining([expect.stringMatching(/SIZE|FIELD/)]));
    const after = await list('vm');
    expect(after.items.map((o) => o.metadata!.name)).toEqual(before.items.map((o) => o.metadata!.name));
    expect(after.items.some((o) => o.metadata!.name === 'good-1')).toBe(false);
  });

  it('a stale resourceVersion is ABORTED (Conflict) and changes nothing', async () => {
    await apply(vmYaml('cas-1'));
    const rv = (await call(ctl.resources, ctl.resources.get, { kind: 'vm', name: 'cas-1' })).metadata!.resourceVersion!;
    await apply(vmYaml('cas-1', { memory: '1GiB' }));
    const stale = vmYaml('cas-1', { memory: '4GiB' }).replace('  name: cas-1', `  name: cas-1\n  resourceVersion: "${rv}"`);
    const e = await rejection(apply(stale));
    expect(e.code).toBe(status.ABORTED);
    expect(hvsErrorFromServiceError(e).code).toBe('HVS-STORE-CONFLICT');
    const del = await rejection(call(ctl.resources, ctl.resources.delete, { kind: 'vm', name: 'cas-1', wait: false, resourceVersion: rv, waitTimeoutMs: 0, names: [], labelSelector: '', ignoreNotFound: false }));
    expect(del.code).toBe(status.ABORTED);
    expect(JSON.parse((await call(ctl.resources, ctl.resources.get, { kind: 'vm', name: 'cas-1' })).specJson).memory.size).toBe('1GiB');
  });

  it('an oversized request is RESOURCE_EXHAUSTED with HVS-API-REQUEST-TOO-LARGE', async () => {
    const big = { manifestJson: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }), source: 'big.json', index: 0, line: 0 };
    const e = await rejection(call(ctl.resources, ctl.resources.apply, { documents: [big], dryRun: false, fieldManager: '', pruneSelector: '' }));
    expect(e.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(hvsErrorFromServiceError(e).code).toBe('HVS-API-REQUEST-TOO-LARGE');
  });

  it('unknown kinds are INVALID_ARGUMENT HVS-KIND-UNKNOWN', async () => {
    const e = await rejection(list('virtualmachins'));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(hvsErrorFromServiceError(e)).toMatchObject({ code: 'HVS-KIND-UNKNOWN', message: expect.stringContaining('VirtualMachine') });
  });

  it('VM start/stop/restart and node register/heartbeat/cordon go through; Drain is UNIMPLEMENTED with an HvsError', async () => {
    await apply(vmYaml('op-1'));
    const stop = await call(ctl.vms, ctl.vms.stop, { names: ['op-1', 'nope'], labelSelector: '', force: false, wait: false, waitTimeoutMs: 0 });
    expect(stop.results.map((r) => [r.name, r.ok, r.changed, r.error?.code ?? ''])).toEqual([['op-1', true, true, ''], ['nope', false, false, 'HVS-STORE-NOT-FOUND']]);
    const restart = await call(ctl.vms, ctl.vms.restart, { names: ['op-1'], labelSelector: '', force: false, wait: false, waitTimeoutMs: 0 });
    expect(restart.results[0]).toMatchObject({ ok: true, changed: true });

    const facts = v1.HostFacts.fromPartial({ hostname: 'host-a', cpus: 8, memoryBytes: 16 * 2 ** 30, hypervisorMode: 'test', libvirtUri: 'test:///default', agentVersion: '0.1.0' });
    const hostA = await ctl.nodeClient('host-a');
    const reg = await call(hostA, hostA.registerNode, { name: 'host-a', address: '127.0.0.1:7444', facts, labels: { zone: 'a' } });
    expect(reg.leaseTtlMs).toBe(8000);
    expect(JSON.parse(reg.node!.statusJson)).toMatchObject({ capacity: { cpus: 8 }, hypervisor: { mode: 'test' } });
    const beat = await call(hostA, hostA.heartbeat, { node: 'host-a', observedGeneration: 0, sentAtUnixMs: Date.now() });
    expect(beat.leaseTtlMs).toBe(8000);
    const cordoned = await call(ctl.nodes, ctl.nodes.cordon, { name: 'host-a' });
    expect(JSON.parse(cordoned.specJson)).toMatchObject({ cordoned: true });
    const join = await rejection(call(ctl.nodes, ctl.nodes.join, { token: 'x', nodeName: 'host-b', csrPem: '', address: '127.0.0.1:7445' }));
    expect(hvsErrorFromServiceError(join).code).toBe('HVS-PKI-CSR-INVALID');
  });

  it('records every mutation in the audit log with the caller, and nothing for plan, get or list', async () => {
    const start = (await audit()).records.length;
    await plan(vmYaml('audit-1'));
    await list('vm');
    await rejection(call(ctl.resources, ctl.resources.get, { kind: 'vm', name: 'audit-1' }));
    expect((await audit()).records.length).toBe(start);
    await call(ctl.resources, ctl.resources.apply, { documents: documents(vmYaml('audit-1')), dryRun: false, fieldManager: 'ci', pruneSelector: '' });
    await call(ctl.resources, ctl.resources.delete, { kind: 'vm', name: 'audit-1', wait: false, resourceVersion: '', waitTimeoutMs: 0, names: [], labelSelector: '', ignoreNotFound: false });
    const records = (await call(ctl.audit, ctl.audit.list, { kind: 'vm', name: 'audit-1', actor: 'user:admin', since: '', limit: 10, continueToken: '' })).records;
    expect(records.map((r) => [r.operation, r.result, r.generationBefore, r.generationAfter])).toEqual([['delete', 'ok', 1, 1], ['apply', 'ok', 0, 1]]);
    const all = (await audit()).records;
    expect(all.filter((r) => r.operation === 'stop' && r.name === 'op-1')).toHaveLength(1);
    expect(all.filter((r) => r.operation === 'cordon' && r.name === 'host-a')).toHaveLength(1);
    expect(all.some((r) => r.result === 'HVS-APPLY-BATCH-INVALID')).toBe(true);
  });
});
