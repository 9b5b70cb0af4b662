/** REST face of migration against a whole controller and real etcd: POST /vms/{name}/migrate, GET /migrations[/{name}] (the generic kind routes), errors. */
import type { Migration, Node, VirtualMachine } from '@hvs/domain';
import { v1 } from '@hvs/proto';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { OBJECT_STORE } from '../../src/services/tokens';
import type { ObjectStore } from '../../src/store';
import { nodeDoc, vmDoc } from '../runtime/fixtures';
import { call, rejection, startController, type ControllerUnderTest } from './controller-under-test';

jest.setTimeout(60_000);

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
let store: ObjectStore;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function req(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await ctl.rest(path, {
    method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: res.body as Json };
}

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
  store = ctl.app.get<ObjectStore>(OBJECT_STORE);
  // Live-capable nodes whose agents are not reachable (nothing listens on port 1).
  await store.create(nodeDoc('node-a', { address: '127.0.0.1:1' }));
  await store.create(nodeDoc('node-b', { address: '127.0.0.1:1', memoryBytes: 4 * 1024 ** 3 }));
  await store.create(nodeDoc('node-t1', { address: '127.0.0.1:1', testDriver: true }));
  await store.create(nodeDoc('node-t2', { address: '127.0.0.1:1', testDriver: true }));
  await store.create(vmDoc('web', { node: 'node-a', memory: '2GiB' }));
  await store.create(vmDoc('app', { node: 'node-t1' }));
  const db = vmDoc('db', { node: 'node-a', memory: '1GiB' });
  await store.create({ ...db, spec: { ...db.spec, disks: [{ name: 'root', size: '4GiB' }] } }); // pool default: not shared
});
afterAll(async () => {
  await ctl?.close();
  await etcd?.stop();
});

describe('REST migration', () => {
  it('dry run: 200 with the estimate; the unreachable source agent makes the dirty rate an assumption with the reason; nothing written', async () => {
    const r = await req('POST', '/vms/web/migrate', { to: 'node-b', maxDowntime: '100ms', dryRun: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ sourceNode: 'node-a', targetNode: 'node-b', mode: 'live', estimate: { memoryBytes: 2 * 1024 ** 3 } });
    expect(r.body.migration).toBeUndefined();
    expect(r.body.estimate.notes.join('\n')).toMatch(/dirty rate assumed: sampling on node-a failed: HVS-/);
    expect((await req('GET', '/migrations')).body.items).toEqual([]);
  });

  it('the bandwidth annotation set by applying the Node (as docs/migration.md says) feeds the estimate', async () => {
    const node = await store.get<Node>('Node', 'node-b');
    const doc = { apiVersion: 'hvs/v1', kind: 'Node', metadata: { name: 'node-b', annotations: { 'hvs.dev/migration-bandwidth': '10Gbit' } }, spec: node.spec };
    const applied = await req('POST', '/apply', { documents: [{ content: JSON.stringify(doc) }] });
    expect(applied.status).toBe(200);
    const r = await req('POST', '/vms/web/migrate', { to: 'node-b', dryRun: true });
    expect(r.body.estimate.bandwidthBps).toBe(1.25e9);
    expect(r.body.estimate.notes.join('\n')).toMatch(/link bandwidth 1250 MB\/s from node node-b's hvs.dev\/migration-bandwidth annotation/);
    const capped = await req('POST', '/vms/web/migrate', { to: 'node-b', bandwidth: '100MB', dryRun: true });
    expect(capped.body.estimate.bandwidthBps).toBe(1e8);
    expect(await req('POST', '/vms/web/migrate', { bandwidth: 'fast', dryRun: true })).toMatchObject({ status: 400, body: { code: 'HVS-API-BODY-INVALID', path: 'bandwidth' } });
  });

  it('creates the Migration (201), which GET /migrations (by label hvs.dev/vm too) and /migrations/{name} return', async () => {
    const r = await req('POST', '/vms/app/migrate', { mode: 'offline' });
    expect(r.status).toBe(201);
    const name = r.body.migration.metadata.name as string;
    expect(r.body.migration).toMatchObject({ kind: 'Migration', spec: { vm: 'app', targetNode: 'node-t2', mode: 'offline' } });
    expect((await req('GET', '/migrations')).body.items.map((m: Json) => m.metadata.name)).toEqual([name]);
    expect((await req('GET', `/migrations?labelSelector=${encodeURIComponent('hvs.dev/vm=app')}`)).body.items).toHaveLength(1);
    expect((await req('GET', `/migrations?labelSelector=${encodeURIComponent('hvs.dev/vm=web')}`)).body.items).toHaveLength(0);
    const got = await req('GET', `/migrations/${name}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ metadata: { name, labels: { 'hvs.dev/vm': 'app' } }, spec: { vm: 'app' } });
  });

  it('POST /migrations/{name}/cancel: 200 with spec.cancel (idempotent); once it ended: 400 HVS-MIGRATION-ENDED; unknown: 404', async () => {
    // No control loops in this controller: the reconciler's part is in test/migration/migration.medium.spec.ts.
    const [m] = (await req('GET', `/migrations?labelSelector=${encodeURIComponent('hvs.dev/vm=app')}`)).body.items as Json[];
    const name = m!.metadata.name as string;
    const r = await req('POST', `/migrations/${name}/cancel`, {});
    expect(r).toMatchObject({ status: 200, body: { kind: 'Migration', metadata: { name }, spec: { cancel: true } } });
    expect(await req('POST', `/migrations/${name}/cancel`, {})).toMatchObject({ status: 200, body: { spec: { cancel: true } } });
    const stored = await store.get<Migration>('Migration', name);
    await store.updateStatus({ ...stored, status: { ...stored.status, phase: 'Failed', reason: 'Cancelled' } });
    expect(await req('POST', `/migrations/${name}/cancel`, {})).toMatchObject({ status: 400, body: { code: 'HVS-MIGRATION-ENDED', message: expect.stringMatching(/already ended \(Failed: Cancelled\)/) } });
    expect(await req('POST', '/migrations/nope/cancel', {})).toMatchObject({ status: 404, body: { code: 'HVS-STORE-NOT-FOUND' } });
  });

  it('errors carry code, why and fix with the shared status table', async () => {
    const missing = await req('POST', '/vms/ghost/migrate', {});
    expect(missing).toMatchObject({ status: 404, body: { code: 'HVS-STORE-NOT-FOUND' } });
    const badMode = await req('POST', '/vms/web/migrate', { mode: 'teleport' });
    expect(badMode).toMatchObject({ status: 400, body: { code: 'HVS-API-BODY-INVALID', path: 'mode', fix: expect.stringMatching(/live/) } });
    expect((await req('POST', '/vms/web/migrate', { maxDowntime: 'soon' })).body).toMatchObject({ code: 'HVS-API-BODY-INVALID', path: 'maxDowntime' });
    expect((await req('POST', '/vms/web/migrate', { target: 'node-b' })).body).toMatchObject({ code: 'HVS-API-BODY-INVALID', path: 'target' });
    const noRoom = await req('POST', '/vms/web/migrate', { to: 'node-a' });
    expect(noRoom).toMatchObject({ status: 400, body: { code: 'HVS-MIGRATION-NO-TARGET', why: expect.stringMatching(/node-a: is the node the VM runs on/) } });
    const unsupported = await req('POST', '/vms/app/migrate', { mode: 'live', dryRun: true });
    expect(unsupported.body.code).toMatch(/HVS-MIGRATION-(MODE-UNSUPPORTED|IN-PROGRESS)/);
    expect((await req('GET', '/migrations/nope')).status).toBe(404);
    const vm = await store.get<VirtualMachine>('VirtualMachine', 'web');
    expect(vm.status?.migration).toBeUndefined();
  });
});

describe('gRPC VmService/Migrate: copy storage', () => {
  const dryRun = (copyStorage?: boolean) => call(ctl.vms, ctl.vms.migrate, v1.MigrateVmRequest.fromPartial({ vm: 'db', targetNode: 'node-b', dryRun: true, copyStorage }));

  it('unset (hvctl without a flag): a live move copies the local-only disk and the estimate counts it', async () => {
    const r = await dryRun(undefined);
    expect(r.estimate?.notes.join('\n')).toMatch(/copies local disk root to the target \(copy-storage\)/);
    const copied = await dryRun(true);
    expect(copied.estimate?.durationMs).toBe(r.estimate?.durationMs);
  });

  it('false (hvctl --no-copy-storage): refused with the disk named and the fix; REST says the same', async () => {
    const e = await rejection(dryRun(false));
    expect(e.details).toMatch(/HVS-MIGRATION-LOCAL-DISK/);
    expect(e.details).toMatch(/local-only disk root \(pool not shared\) and copy-storage is off/);
    const rest = await req('POST', '/vms/db/migrate', { to: 'node-b', copyStorage: false, dryRun: true });
    expect(rest).toMatchObject({ status: 400, body: { code: 'HVS-MIGRATION-LOCAL-DISK', fix: expect.stringMatching(/shared StoragePool/) } });
    expect((await req('GET', '/migrations?labelSelector=' + encodeURIComponent('hvs.dev/vm=db'))).body.items).toEqual([]);
  });
});
