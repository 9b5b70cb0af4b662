/**
 * Deleting several objects through the API against real etcd: gRPC Delete with names or a
 * label_selector, and REST DELETE /api/v1/{kind}?name=..&name=.. or ?labelSelector=. One
 * etcd transaction (every DELETED event carries the same revision) or nothing.
 */
import { status, type ClientReadableStream } from '@grpc/grpc-js';
import { hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { batch, NETWORK_YAML, vmYaml } from '../services/manifests';
import { call, documents, rejection, startController, type ControllerUnderTest } from './controller-under-test';

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

const apply = (yaml: string) => call(ctl.resources, ctl.resources.apply, { documents: documents(yaml), dryRun: false, fieldManager: '', pruneSelector: '' });
const del = (req: Partial<v1.DeleteRequest>) => call(ctl.resources, ctl.resources.delete, v1.DeleteRequest.fromPartial({ kind: 'vm', ...req }));
const namesOf = async (labelSelector: string) =>
  (await call(ctl.resources, ctl.resources.list, { kind: 'vm', labelSelector, limit: 0, continueToken: '' })).items.map((o) => o.metadata!.name).sort();

/** Collects DELETED events of the stream until `n` arrived, within a deadline. */
function deletedEvents(stream: ClientReadableStream<v1.WatchEvent>, n: number): Promise<v1.WatchEvent[]> {
  return new Promise((resolve, reject) => {
    const out: v1.WatchEvent[] = [];
    const timer = setTimeout(() => reject(new Error(`${out.length} of ${n} DELETED events before the deadline`)), 10_000);
    stream.on('data', (e: v1.WatchEvent) => {
      if (e.type === v1.WatchEventType.DELETED) out.push(e);
      if (out.length === n) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    stream.on('error', () => undefined);
  });
}

describe('delete several objects over gRPC (real etcd)', () => {
  it('names: all in one transaction, results in request order; the single-object fields hold the first', async () => {
    await apply(batch(NETWORK_YAML, ...['m-a', 'm-b', 'm-c', 'm-d'].map((n) => vmYaml(n, { labels: { app: 'many' } }))));
    const from = (await call(ctl.resources, ctl.resources.list, { kind: 'vm', labelSelector: '', limit: 0, continueToken: '' })).resourceVersion;
    const stream = ctl.resources.watch({ kind: 'vm', labelSelector: 'app=many', resourceVersion: from, bookmarkIntervalMs: 0 });
    try {
      const events = deletedEvents(stream, 3);
      const res = await del({ names: ['m-c', 'm-a', 'm-b'] });
      expect(res.results.map((r) => [r.object!.metadata!.name, r.gone])).toEqual([['m-c', true], ['m-a', true], ['m-b', true]]);
      expect([res.object!.metadata!.name, res.gone]).toEqual(['m-c', true]);
      const seen = await events;
      expect(seen.map((e) => e.object!.metadata!.name).sort()).toEqual(['m-a', 'm-b', 'm-c']);
      expect(new Set(seen.map((e) => e.resourceVersion)).size).toBe(1);
    } finally {
      stream.cancel();
    }
    expect(await namesOf('app=many')).toEqual(['m-d']);
  });

  it('a missing name is NOT_FOUND listing each missing name, and nothing is deleted', async () => {
    await apply(batch(NETWORK_YAML, vmYaml('n-a', { labels: { app: 'nf' } }), vmYaml('n-b', { labels: { app: 'nf' } })));
    const e = await rejection(del({ names: ['n-a', 'n-ghost', 'n-b'] }));
    expect(e.code).toBe(status.NOT_FOUND);
    const err = hvsErrorFromServiceError(e);
    expect(err.message).toBe('1 of the 3 VirtualMachine names do not exist: "n-ghost"');
    expect(err.problems[0]!.why).toBe('nothing was deleted: a delete of several objects is all or nothing');
    expect(err.problems.map((p) => p.path)).toEqual(['n-ghost']);
    expect(await namesOf('app=nf')).toEqual(['n-a', 'n-b']);
    const skipped = await del({ names: ['n-a', 'n-ghost'], ignoreNotFound: true });
    expect(skipped.results.map((r) => r.object!.metadata!.name)).toEqual(['n-a']);
    expect(await namesOf('app=nf')).toEqual(['n-b']);
  });

  it('label_selector deletes every match, and a selector matching nothing answers with no results', async () => {
    await apply(batch(NETWORK_YAML, vmYaml('s-1', { labels: { app: 'sel' } }), vmYaml('s-2', { labels: { app: 'sel' } }), vmYaml('s-keep', { labels: { app: 'selkeep' } })));
    const res = await del({ labelSelector: 'app=sel' });
    expect(res.results.map((r) => r.object!.metadata!.name).sort()).toEqual(['s-1', 's-2']);
    expect(await namesOf('app in (sel, selkeep)')).toEqual(['s-keep']);
    const none = await del({ labelSelector: 'app=sel' });
    expect(none.results).toEqual([]);
    expect(none.object).toBeUndefined();
  });

  it.each([
    ['name with names', { name: 'x', names: ['y'] }],
    ['resource_version with names', { resourceVersion: '5', names: ['y'] }],
    ['names with label_selector', { names: ['y'], labelSelector: 'app=z' }],
  ])('%s is INVALID_ARGUMENT HVS-API-DELETE-TARGET-INVALID', async (_what, req) => {
    const e = await rejection(del(req));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(hvsErrorFromServiceError(e).code).toBe('HVS-API-DELETE-TARGET-INVALID');
  });
});

describe('delete several objects over REST (real etcd)', () => {
  it('DELETE /api/v1/vms?name=a&name=b deletes both; a missing name is 404 and deletes nothing', async () => {
    await apply(batch(NETWORK_YAML, ...['r-a', 'r-b', 'r-c'].map((n) => vmYaml(n, { labels: { app: 'rest' } }))));
    const missing = await ctl.fetch(`${ctl.http}/vms?name=r-a&name=r-ghost`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'HVS-STORE-NOT-FOUND', problems: [{ path: 'r-ghost' }] });
    expect(await namesOf('app=rest')).toEqual(['r-a', 'r-b', 'r-c']);
    const ok = await ctl.fetch(`${ctl.http}/vms?name=r-a&name=r-b`, { method: 'DELETE' });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { results: { object: { metadata: { name: string } }; gone: boolean }[] };
    expect(body.results.map((r) => [r.object.metadata.name, r.gone])).toEqual([['r-a', true], ['r-b', true]]);
    const bySelector = await ctl.fetch(`${ctl.http}/vms?labelSelector=app%3Drest`, { method: 'DELETE' });
    expect(((await bySelector.json()) as { results: unknown[] }).results).toHaveLength(1);
    expect(await namesOf('app=rest')).toEqual([]);
  });

  it('DELETE /api/v1/vms with neither names nor a selector is 400', async () => {
    const r = await ctl.fetch(`${ctl.http}/vms`, { method: 'DELETE' });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ code: 'HVS-API-DELETE-TARGET-INVALID' });
  });
});
