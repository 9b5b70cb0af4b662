/** The REST API end to end with fetch: /api/v1 -> services -> real etcd; same semantics and error bodies as gRPC. */
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { BAD_SECOND_DOCUMENT, batch, NETWORK_YAML, vmYaml } from '../services/manifests';
import { bindVm, startController, type ControllerUnderTest } from './controller-under-test';

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

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const res = await ctl.rest(path, {
    method, headers: { ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: res.body as Json };
}
const apply = (content: string, extra: Json = {}) => req('POST', '/apply', { documents: [{ content, file: 'lab.yaml' }], ...extra });

/** Reads NDJSON lines from a streaming response until `n` arrived (deadline 10 s). */
async function ndjson(res: Response, n: number): Promise<Json[]> {
  const reader = res.body!.getReader();
  const out: Json[] = [];
  let buf = '';
  const deadline = Date.now() + 10_000;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`watch: ${out.length} of ${n} events before the deadline`);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([reader.read(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('watch read timed out')), left)))]);
    clearTimeout(timer);
    if (r.done) throw new Error(`watch ended after ${out.length} events`);
    buf += Buffer.from(r.value).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      out.push(JSON.parse(buf.slice(0, nl)) as Json);
      buf = buf.slice(nl + 1);
    }
  }
  await reader.cancel();
  return out;
}

describe('REST /api/v1 against real etcd', () => {
  it('apply creates, re-apply is unchanged, a memory edit plans a restart (writing nothing) and applies as configured', async () => {
    const created = await apply(batch(NETWORK_YAML, vmYaml('web-1')));
    expect(created.status).toBe(200);
    expect(created.body.results.map((r: Json) => [r.kind, r.name, r.action])).toEqual([['Network', 'lan', 'created'], ['VirtualMachine', 'web-1', 'created']]);
    expect((await apply(batch(NETWORK_YAML, vmYaml('web-1')))).body.results.map((r: Json) => r.action)).toEqual(['unchanged', 'unchanged']);

    const before = (await req('GET', '/vms')).body.resourceVersion;
    const plan = await req('POST', '/plan', { documents: [{ content: vmYaml('web-1', { memory: '2GiB' }) }] });
    expect(plan.body.objects).toEqual([{ kind: 'VirtualMachine', name: 'web-1', action: 'update', effect: 'restart', changes: [{ path: 'spec.memory.size', old: '512MiB', new: '2GiB', effect: 'restart' }] }]);
    expect((await req('GET', '/vms')).body.resourceVersion).toBe(before);

    // Raw YAML works too (Content-Type application/yaml).
    const raw = await req('POST', '/apply', vmYaml('web-1', { memory: '2GiB' }), { 'content-type': 'application/yaml' });
    expect(raw.body.results[0]).toMatchObject({ action: 'configured', generation: 2 });
  });

  it('get and list with label selectors; unknown kind and missing object have coded errors', async () => {
    await apply(batch(vmYaml('db-1', { labels: { app: 'db', tier: 'back' } }), vmYaml('db-2', { labels: { app: 'db' } })));
    const got = await req('GET', '/vm/db-1');
    expect(got.body).toMatchObject({ apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: 'db-1', labels: { app: 'db', tier: 'back' } } });
    const listed = await req('GET', `/virtualmachines?labelSelector=${encodeURIComponent('app in (db),tier!=back')}`);
    expect(listed.body.items.map((o: Json) => o.metadata.name)).toEqual(['db-2']);
    const unknown = await req('GET', '/vmz');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'HVS-KIND-UNKNOWN', category: 'InvalidArgument', fix: expect.any(String) });
    const missing = await req('GET', '/vm/nope');
    expect(missing).toMatchObject({ status: 404, body: { code: 'HVS-STORE-NOT-FOUND' } });
  });

  it('watch=1 streams ADDED, MODIFIED and DELETED from a resourceVersion as NDJSON', async () => {
    const from = (await req('GET', '/vms')).body.resourceVersion;
    const controller = new AbortController();
    const res = await ctl.fetch(`${ctl.http}/vms?watch=1&resourceVersion=${from}&labelSelector=app%3Dwatched`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    try {
      const events = ndjson(res, 3);
      await apply(vmYaml('w-1', { labels: { app: 'watched' } }));
      await apply(vmYaml('w-1', { labels: { app: 'watched' }, runState: 'Stopped' }));
      expect((await req('DELETE', '/vms/w-1')).body.gone).toBe(true);
      expect((await events).map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'w-1'], ['MODIFIED', 'w-1'], ['DELETED', 'w-1']]);
    } finally {
      controller.abort();
    }
  });

  it('delete, then delete again is 404 HVS-STORE-NOT-FOUND with a fix', async () => {
    await apply(vmYaml('gone-1'));
    expect(await req('DELETE', '/vm/gone-1')).toMatchObject({ status: 200, body: { gone: true } });
    const again = await req('DELETE', '/vm/gone-1');
    expect(again).toMatchObject({ status: 404, body: { code: 'HVS-STORE-NOT-FOUND', fix: expect.stringContaining('hvctl get') } });
  });

  it('DELETE of a VM bound to a node leaves it terminating; ?force=1 removes it with a warning, audited as force-delete', async () => {
    await apply(vmYaml('bound-1'));
    await bindVm(ctl, 'bound-1', 'node-far');
    const d = await req('DELETE', '/vm/bound-1');
    expect(d).toMatchObject({ status: 200, body: { gone: false, warnings: [], object: { metadata: { finalizers: ['hvs.dev/host-cleanup'] } } } });
    const f = await req('DELETE', '/vm/bound-1?force=1');
    expect(f).toMatchObject({ status: 200, body: { gone: true, warnings: [expect.stringContaining('node node-far may still hold domain hvs-')] } });
    const page = await req('GET', '/audit?name=bound-1');
    expect(page.body.records.map((r: Json) => [r.operation, r.actor])).toEqual([['force-delete', 'user:tester'], ['delete', 'user:tester'], ['apply', 'user:tester']]);
    // Several at once: DELETE /vm?name=..&force=1, one result each with its warning.
    await apply(vmYaml('bound-2'));
    await bindVm(ctl, 'bound-2', 'node-far');
    const many = await req('DELETE', '/vm?name=bound-2&force=1');
    expect(many).toMatchObject({ status: 200, body: { results: [{ gone: true, warnings: [expect.stringContaining('node node-far')] }] } });
  });

  it('a batch with one bad document is 400, writes nothing and lists every problem with its document index', async () => {
    const res = await req('POST', '/apply', { documents: [{ content: BAD_SECOND_DOCUMENT, file: 'two.yaml' }] });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('HVS-APPLY-BATCH-INVALID');
    expect(res.body.problems.length).toBeGreaterThanOrEqual(2);
    for (const p of res.body.problems) expect(p.path).toMatch(/^two\.yaml: document 2 \(line \d+\)/);
    expect((await req('GET', '/vm/good-1')).status).toBe(404);
  });

  it('a stale resourceVersion is 409 Conflict', async () => {
    await apply(vmYaml('cas-1'));
    const rv = (await req('GET', '/vm/cas-1')).body.metadata.resourceVersion;
    await apply(vmYaml('cas-1', { memory: '1GiB' }));
    const stale = vmYaml('cas-1', { memory: '4GiB' }).replace('  name: cas-1', `  name: cas-1\n  resourceVersion: "${rv}"`);
    expect(await apply(stale)).toMatchObject({ status: 409, body: { code: 'HVS-STORE-CONFLICT', category: 'Conflict' } });
    expect(await req('DELETE', `/vm/cas-1?resourceVersion=${rv}`)).toMatchObject({ status: 409 });
  });

  it('requests over 1 MiB are 413 HVS-API-REQUEST-TOO-LARGE (JSON and raw YAML)', async () => {
    const pad = `# ${'x'.repeat(1024 * 1024)}\n`;
    expect(await apply(pad + vmYaml('big'))).toMatchObject({ status: 413, body: { code: 'HVS-API-REQUEST-TOO-LARGE' } });
    const raw = await req('POST', '/apply', pad + vmYaml('big'), { 'content-type': 'application/yaml' });
    expect(raw).toMatchObject({ status: 413, body: { code: 'HVS-API-REQUEST-TOO-LARGE' } });
    expect((await req('GET', '/vm/big')).status).toBe(404);
  });

  it('VM start/stop/restart by name (body {}), one result per VM', async () => {
    await apply(vmYaml('op-1'));
    const stop = await req('POST', '/vms/op-1/stop', {});
    expect(stop).toMatchObject({ status: 200, body: { results: [{ name: 'op-1', ok: true, changed: true }] } });
    expect((await req('POST', '/vms/op-1/start', {})).body.results[0]).toMatchObject({ ok: true, changed: true });
    expect((await req('POST', '/vms/op-1/restart', {})).body.results[0]).toMatchObject({ ok: true, changed: true });
    expect((await req('POST', '/vms/ghost/start', {})).body.results[0]).toMatchObject({ ok: false, error: { code: 'HVS-STORE-NOT-FOUND' } });
  });

  it('audits every mutation with the caller, and nothing for plan or get', async () => {
    const count = async () => (await req('GET', '/audit?limit=1000')).body.records.length as number;
    const start = await count();
    await req('POST', '/plan', { documents: [{ content: vmYaml('audit-1') }] });
    await req('GET', '/vm/op-1');
    expect(await count()).toBe(start);
    await apply(vmYaml('audit-1'));
    await req('DELETE', '/vm/audit-1');
    const page = await req('GET', '/audit?kind=vm&name=audit-1');
    expect(page.body.records.map((r: Json) => [r.operation, r.actor, r.result])).toEqual([['delete', 'user:tester', 'ok'], ['apply', 'user:tester', 'ok']]);
    const ops = (await req('GET', '/audit?name=op-1&limit=1000')).body.records.map((r: Json) => r.operation);
    expect(ops).toEqual(['restart', 'start', 'stop', 'apply']);
  });
});
