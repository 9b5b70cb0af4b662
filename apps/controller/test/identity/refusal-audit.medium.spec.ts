/**
 * Who tried what: a verified caller refused for lack of permission leaves one `denied` audit
 * record naming it, over gRPC and REST alike; an anonymous caller leaves none (it is only
 * counted), so anonymous traffic cannot fill etcd.
 */
import { status } from '@grpc/grpc-js';
import { v1 } from '@hvs/proto';
import { call, documents, rejection, controllerForFile } from '../api/controller-under-test';
import { vmYaml } from '../services/manifests';

jest.setTimeout(60_000);

const ctl = controllerForFile();

const denied = async () => (await call(ctl.audit, ctl.audit.list, { kind: '', name: '', actor: '', since: '', limit: 1000, continueToken: '' })).records.filter((r) => r.operation === 'denied');

it('audits a viewer\'s refused apply once per transport, and nothing for anonymous callers', async () => {
  const viewer = await ctl.tokenFor('auditee', 'viewer');
  const client = new v1.ResourceServiceClient(ctl.grpc, ctl.bearerCreds(viewer), ctl.options);
  const anonymous = new v1.ResourceServiceClient(ctl.grpc, ctl.anonymousCreds, ctl.options);
  try {
    const req = { documents: documents(vmYaml('nope')), dryRun: false, fieldManager: '', pruneSelector: '' };
    expect((await rejection(call(client, client.apply, req))).code).toBe(status.PERMISSION_DENIED);
    const rest = await ctl.rest('/apply', { method: 'POST', headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/yaml' }, body: vmYaml('nope') });
    expect(rest.status).toBe(403);
    for (let i = 0; i < 5; i++) expect((await rejection(call(anonymous, anonymous.apply, req))).code).toBe(status.UNAUTHENTICATED);
    expect((await ctl.rest('/apply', { method: 'POST', headers: { authorization: '', 'content-type': 'application/yaml' }, body: vmYaml('nope') })).status).toBe(401);
    // The record is written after the answer: wait for both.
    let records = await denied();
    for (let i = 0; i < 50 && records.length < 2; i++) records = await new Promise((r) => setTimeout(r, 100)).then(denied);
    expect(records.map((r) => [r.actor, r.kind, r.result])).toEqual(expect.arrayContaining([
      ['user:auditee', 'ResourceService/Apply', 'HVS-AUTH-FORBIDDEN'],
      ['user:auditee', 'POST /api/v1/apply', 'HVS-AUTH-FORBIDDEN'],
    ]));
    expect(records).toHaveLength(2);
    const all = (await call(ctl.audit, ctl.audit.list, { kind: '', name: '', actor: 'anonymous', since: '', limit: 1000, continueToken: '' })).records;
    expect(all).toEqual([]);
  } finally {
    client.close();
    anonymous.close();
  }
});
