/**
 * Label scopes, enforced for both transports (issue 12 item 9): an operator token scoped to
 * team=x sees no team=y object in get, list, watch, events or audit, cannot act on one, cannot
 * relabel its own VM into team=y, and cannot use host devices, bridge-mode Networks or explicit
 * boot paths (admin only). Real controller, real etcd, gRPC and REST side by side.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { v1 } from '@hvs/proto';
import { call, documents, rejection, controllerForFile } from '../api/controller-under-test';
import { NETWORK_YAML, vmYaml } from '../services/manifests';

jest.setTimeout(60_000);

const ctl = controllerForFile();
let scoped: { resources: v1.ResourceServiceClient; vms: v1.VmServiceClient; audit: v1.AuditServiceClient; events: v1.EventServiceClient };
let scopedToken: string;

const BRIDGE = `apiVersion: hvs/v1
kind: Network
metadata:
  name: uplink
spec:
  mode: bridge
  bridge: br0
`;

function hostdevVm(name: string): string {
  return vmYaml(name, { labels: { team: 'x' } }).replace('  runState: Running', '  devices:\n    hostdevs:\n      - name: gpu\n        pciAddress: "0000:01:00.0"\n  runState: Running');
}

const applyReq = (yaml: string): v1.ApplyRequest => ({ documents: documents(yaml), dryRun: false, fieldManager: '', pruneSelector: '' });
const vmAction = (names: string[]): v1.VmActionRequest => ({ names, labelSelector: '', wait: false, waitTimeoutMs: 0, force: false });

/** A REST call as the scoped token: status and JSON body. */
async function rest(method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await ctl.rest(path, { method, headers: { authorization: `Bearer ${scopedToken}`, ...(body !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  return { status: res.status, body: res.body as Record<string, unknown> };
}

beforeAll(async () => {
  // As admin: the networks, one VM per team.
  await call(ctl.resources, ctl.resources.apply, applyReq(`${NETWORK_YAML}---\n${vmYaml('x-1', { labels: { team: 'x' } })}---\n${vmYaml('y-1', { labels: { team: 'y' } })}---\n${BRIDGE}`));
  scopedToken = await ctl.tokenFor('team-x', 'operator', 'team=x');
  const creds = ctl.bearerCreds(scopedToken);
  scoped = {
    resources: new v1.ResourceServiceClient(ctl.grpc, creds, ctl.options), vms: new v1.VmServiceClient(ctl.grpc, creds, ctl.options),
    audit: new v1.AuditServiceClient(ctl.grpc, creds, ctl.options), events: new v1.EventServiceClient(ctl.grpc, creds, ctl.options),
  };
});
afterAll(async () => {
  for (const c of Object.values(scoped ?? {})) c.close();
});

describe('a role scoped to team=x', () => {
  it('sees only team=x objects in list and get, over gRPC and REST; team=y answers exactly like a missing object', async () => {
    const listed = await call(scoped.resources, scoped.resources.list, { kind: 'vm', labelSelector: '', limit: 0, continueToken: '' });
    expect(listed.items.map((o) => o.metadata?.name)).toEqual(['x-1']);
    const hidden = await rejection(call(scoped.resources, scoped.resources.get, { kind: 'vm', name: 'y-1' }));
    const missing = await rejection(call(scoped.resources, scoped.resources.get, { kind: 'vm', name: 'nope' }));
    expect(hidden.code).toBe(status.NOT_FOUND);
    expect(hidden.details.replace('y-1', 'N')).toBe(missing.details.replace('nope', 'N'));

    expect((await rest('GET', '/vms')).body.items).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ name: 'x-1' }) })]);
    expect((await rest('GET', '/vms/y-1')).status).toBe(404);
    expect((await rest('GET', '/vms/x-1')).status).toBe(200);
  });

  it('cannot start, stop, delete or apply a team=y VM, over gRPC and REST, and nothing changes', async () => {
    const before = await call(ctl.resources, ctl.resources.get, { kind: 'vm', name: 'y-1' });
    const stop = await call(scoped.vms, scoped.vms.stop, vmAction(['y-1']));
    expect(stop.results).toEqual([expect.objectContaining({ name: 'y-1', ok: false, error: expect.objectContaining({ code: 'HVS-STORE-NOT-FOUND' }) })]);
    expect((await rest('POST', '/vms/y-1/stop', {})).body).toMatchObject({ results: [expect.objectContaining({ ok: false })] });
    expect((await rejection(call(scoped.resources, scoped.resources.delete, { kind: 'vm', name: 'y-1', wait: false, resourceVersion: '', waitTimeoutMs: 0, names: [], labelSelector: '', ignoreNotFound: false }))).code).toBe(status.NOT_FOUND);
    expect((await rest('DELETE', '/vms/y-1')).status).toBe(404);
    expect((await rejection(call(scoped.resources, scoped.resources.apply, applyReq(vmYaml('y-1', { labels: { team: 'y' }, memory: '1GiB' }))))).code).toBe(status.PERMISSION_DENIED);
    expect((await rest('POST', '/apply', vmYaml('y-2', { labels: { team: 'y' } }), 'application/yaml')).status).toBe(403);
    const after = await call(ctl.resources, ctl.resources.get, { kind: 'vm', name: 'y-1' });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    await expect(call(ctl.resources, ctl.resources.get, { kind: 'vm', name: 'y-2' })).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('may change its own VM but not relabel it into team=y', async () => {
    const ok = await call(scoped.resources, scoped.resources.apply, applyReq(vmYaml('x-1', { labels: { team: 'x' }, memory: '1GiB' })));
    expect(ok.results[0]).toMatchObject({ name: 'x-1', action: v1.ApplyAction.CONFIGURED });
    const e = await rejection(call(scoped.resources, scoped.resources.apply, applyReq(vmYaml('x-1', { labels: { team: 'y' } }))));
    expect(e.code).toBe(status.PERMISSION_DENIED);
    expect((await rest('POST', '/apply', vmYaml('x-1', { labels: { team: 'y' } }), 'application/yaml')).status).toBe(403);
    expect((await call(ctl.resources, ctl.resources.get, { kind: 'vm', name: 'x-1' })).metadata?.labels).toEqual({ team: 'x' });
  });

  it('cannot use host devices, bridge-mode networks or direct kernel boot; an admin can', async () => {
    const refusals: ServiceError[] = [
      await rejection(call(scoped.resources, scoped.resources.apply, applyReq(hostdevVm('x-gpu')))),
      await rejection(call(scoped.resources, scoped.resources.apply, applyReq(vmYaml('x-br', { labels: { team: 'x' } }).replace('network: lan', 'network: uplink')))),
    ];
    for (const r of refusals) {
      expect(r.code).toBe(status.PERMISSION_DENIED);
      expect(r.details).toMatch(/vms\.host-access/);
    }
    expect((await rest('POST', '/apply', hostdevVm('x-gpu'), 'application/yaml')).status).toBe(403);
    const admin = await call(ctl.resources, ctl.resources.apply, applyReq(hostdevVm('x-gpu')));
    expect(admin.results[0]).toMatchObject({ name: 'x-gpu', action: v1.ApplyAction.CREATED });
  });

  it('may reference only Secrets of its own scope from cloud-init', async () => {
    const secret = (name: string, team: string) => `apiVersion: hvs/v1\nkind: Secret\nmetadata:\n  name: ${name}\n  labels:\n    team: ${team}\nspec:\n  data:\n    password: s3cret-${team}\n`;
    await call(ctl.resources, ctl.resources.apply, applyReq(`${secret('x-secret', 'x')}---\n${secret('y-secret', 'y')}`));
    const withRef = (ref: string) => vmYaml('x-ci', { labels: { team: 'x' } }).replace('  runState: Running', `  cloudInit:\n    secretRefs: [${ref}]\n  runState: Running`);
    const refused = await rejection(call(scoped.resources, scoped.resources.apply, applyReq(withRef('y-secret'))));
    expect(refused.code).toBe(status.PERMISSION_DENIED);
    expect(refused.details).toMatch(/y-secret/);
    const ok = await call(scoped.resources, scoped.resources.apply, applyReq(withRef('x-secret')));
    expect(ok.results[0]).toMatchObject({ name: 'x-ci', action: v1.ApplyAction.CREATED });
  });

  it('sees only team=x records in the audit log and events, over gRPC and REST', async () => {
    await call(ctl.vms, ctl.vms.stop, vmAction(['y-1', 'x-1']));
    const audit = await call(scoped.audit, scoped.audit.list, { kind: '', name: '', actor: '', since: '', limit: 1000, continueToken: '' });
    const names = new Set(audit.records.map((r) => r.name));
    expect(names.has('x-1')).toBe(true);
    expect(names.has('y-1')).toBe(false);
    const restAudit = (await rest('GET', '/audit?limit=1000')).body.records as { name: string }[];
    expect(restAudit.some((r) => r.name === 'y-1')).toBe(false);
    expect(restAudit.some((r) => r.name === 'x-1')).toBe(true);
    const events = await call(scoped.events, scoped.events.list, { kind: '', name: '', since: '', limit: 1000 });
    expect(events.events.some((e) => e.name === 'y-1')).toBe(false);
  });
});
