/**
 * Joining through the whole controller (createApp, TLS gRPC, real etcd): token -> Join ->
 * certificate; one-time use; node-scoped calls only for the certificate's own node; renewal;
 * operator calls refuse node certificates; the audit names the token id, never the secret.
 */
import { checkServerIdentity } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { fingerprintOf, identityOf, parseJoinToken } from '../../src/pki';
import { call, rejection, startController, type ControllerUnderTest } from '../api/controller-under-test';
import { makeCsr } from './fixtures';

jest.setTimeout(60_000);

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
const clients: v1.NodeServiceClient[] = [];
const nodeClientFor = (certPem: string, keyPem: string) => ctl.nodeClientWith(certPem, keyPem);

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await ctl?.close();
  await etcd?.stop();
});

const code = (e: ServiceError) => hvsErrorFromServiceError(e).code;
const facts = v1.HostFacts.fromPartial({ hostname: 'x', cpus: 2, memoryBytes: 2 ** 30, hypervisorMode: 'test', libvirtUri: 'test:///default', agentVersion: '0.1.0' });

async function joined(node: string, address = '127.0.0.1:7450'): Promise<{ certPem: string; keyPem: string; client: v1.NodeServiceClient }> {
  const t = await call(ctl.nodes, ctl.nodes.createJoinToken, { ttlSeconds: 600, nodeName: node, replace: false, uses: 0 });
  const { csrPem, keyPem } = await makeCsr(`CN=node:${node}`);
  const res = await call(ctl.nodes, ctl.nodes.join, { token: t.token, nodeName: node, csrPem, address });
  return { certPem: res.certificatePem, keyPem, client: nodeClientFor(res.certificatePem, keyPem) };
}

describe('NodeService join over TLS (whole controller, real etcd)', () => {
  it('the server presents controller.hvs and the CA: what an agent pins', async () => {
    // A client with only the CA and the name check connects (ctl.nodes does exactly that).
    const plain = new v1.NodeServiceClient(ctl.grpc, credentials.createSsl(Buffer.from(ctl.pki.ca.certificatePem), null, null, {
      checkServerIdentity: (_h, cert) => checkServerIdentity('node-x.node.hvs', cert),
    }), ctl.options);
    clients.push(plain);
    const e = await rejection(call(plain, plain.listJoinTokens, {}));
    expect(e.code).toBe(status.UNAVAILABLE); // the controller's certificate is not node-x's
    await expect(call(ctl.nodes, ctl.nodes.listJoinTokens, {})).resolves.toBeDefined();
  });

  it('token -> Join -> a certificate for that node only; the token works once; the Node records the address', async () => {
    const t = await call(ctl.nodes, ctl.nodes.createJoinToken, { ttlSeconds: 600, nodeName: 'host-a', replace: false, uses: 0 });
    expect(parseJoinToken(t.token).caFingerprint).toBe(ctl.pki.ca.fingerprint);
    expect(t.caFingerprint).toBe(fingerprintOf(ctl.pki.ca.certificatePem));
    const { csrPem } = await makeCsr('CN=node:host-a');
    const res = await call(ctl.nodes, ctl.nodes.join, { token: t.token, nodeName: 'host-a', csrPem, address: '10.1.2.3:7450' });
    expect(identityOf(new X509Certificate(res.certificatePem))).toEqual({ kind: 'node', node: 'host-a' });
    expect(res.caCertificatePem).toBe(ctl.pki.ca.certificatePem);
    const node = await call(ctl.resources, ctl.resources.get, { kind: 'Node', name: 'host-a' });
    expect(JSON.parse(node.specJson)).toMatchObject({ address: '10.1.2.3:7450' });

    const again = await rejection(call(ctl.nodes, ctl.nodes.join, { token: t.token, nodeName: 'host-a', csrPem, address: '10.1.2.3:7450' }));
    expect(again.code).toBe(status.UNAUTHENTICATED);
    expect(code(again)).toBe('HVS-JOIN-TOKEN-INVALID');
    expect(again.details).not.toContain(parseJoinToken(t.token).secret);
  });

  it('a refused CSR does not use the token up; a token bound to another name is refused', async () => {
    const t = await call(ctl.nodes, ctl.nodes.createJoinToken, { ttlSeconds: 600, nodeName: 'host-b', replace: false, uses: 0 });
    const wrongSubject = await makeCsr('CN=node:host-z');
    expect(code(await rejection(call(ctl.nodes, ctl.nodes.join, { token: t.token, nodeName: 'host-b', csrPem: wrongSubject.csrPem, address: '127.0.0.1:1' })))).toBe('HVS-PKI-CSR-NAME-MISMATCH');
    const other = await makeCsr('CN=node:host-c');
    expect(code(await rejection(call(ctl.nodes, ctl.nodes.join, { token: t.token, nodeName: 'host-c', csrPem: other.csrPem, address: '127.0.0.1:1' })))).toBe('HVS-JOIN-TOKEN-NODE-MISMATCH');
    const good = await makeCsr('CN=node:host-b');
    await expect(call(ctl.nodes, ctl.nodes.join, { token: t.token, nodeName: 'host-b', csrPem: good.csrPem, address: '127.0.0.1:1' })).resolves.toMatchObject({ caCertificatePem: ctl.pki.ca.certificatePem });
  });

  it('RegisterNode/Heartbeat: own node accepted; another node PERMISSION_DENIED (HVS-AUTH-FORBIDDEN); an operator or no credential refused', async () => {
    const a = await joined('host-d');
    await expect(call(a.client, a.client.registerNode, { name: 'host-d', address: '127.0.0.1:7450', facts, labels: {} })).resolves.toMatchObject({ leaseTtlMs: 8000 });
    await expect(call(a.client, a.client.heartbeat, { node: 'host-d', observedGeneration: 0, sentAtUnixMs: Date.now() })).resolves.toMatchObject({ leaseTtlMs: 8000 });

    const forOther = await rejection(call(a.client, a.client.registerNode, { name: 'host-a', address: '127.0.0.1:9', facts, labels: {} }));
    expect(forOther.code).toBe(status.PERMISSION_DENIED);
    expect(code(forOther)).toBe('HVS-AUTH-FORBIDDEN');
    const beatOther = await rejection(call(a.client, a.client.heartbeat, { node: 'host-a', observedGeneration: 0, sentAtUnixMs: 0 }));
    expect(code(beatOther)).toBe('HVS-AUTH-FORBIDDEN');
    const hostA = await call(ctl.resources, ctl.resources.get, { kind: 'Node', name: 'host-a' });
    expect(JSON.parse(hostA.specJson).address).toBe('10.1.2.3:7450'); // untouched

    const nobody = new v1.NodeServiceClient(ctl.grpc, ctl.anonymousCreds, ctl.options);
    clients.push(nobody);
    const anonymous = await rejection(call(nobody, nobody.heartbeat, { node: 'host-d', observedGeneration: 0, sentAtUnixMs: 0 }));
    expect(anonymous.code).toBe(status.UNAUTHENTICATED);
    expect(code(anonymous)).toBe('HVS-AUTH-UNAUTHENTICATED');
    // An admin is not a node: it may not report for one either.
    expect(code(await rejection(call(ctl.nodes, ctl.nodes.registerNode, { name: 'host-d', address: '127.0.0.1:9', facts, labels: {} })))).toBe('HVS-AUTH-FORBIDDEN');
  });

  it('RenewCertificate: a new certificate for the caller\'s own node, whatever the CSR asks; none without a certificate', async () => {
    const d = await joined('host-e');
    const sameKey = await makeCsr('CN=node:host-e');
    const renewed = await call(d.client, d.client.renewCertificate, { csrPem: sameKey.csrPem });
    expect(identityOf(new X509Certificate(renewed.certificatePem))).toEqual({ kind: 'node', node: 'host-e' });
    expect(renewed.certificatePem).not.toBe(d.certPem);
    const forOther = await makeCsr('CN=node:host-a');
    expect(code(await rejection(call(d.client, d.client.renewCertificate, { csrPem: forOther.csrPem })))).toBe('HVS-PKI-CSR-NAME-MISMATCH');
    expect(code(await rejection(call(ctl.nodes, ctl.nodes.renewCertificate, { csrPem: sameKey.csrPem })))).toBe('HVS-AUTH-FORBIDDEN');
    const certs = (await call(ctl.nodes, ctl.nodes.listCertificates, {})).certificates;
    expect(certs.find((c) => c.kind === 'node' && c.name === 'host-e')?.fingerprint).toBe(fingerprintOf(renewed.certificatePem));
    expect(certs.map((c) => c.kind)).toEqual(expect.arrayContaining(['ca', 'controller', 'node']));
  });

  it('operator calls refuse node certificates; list/revoke; the audit log has the token id, never the secret', async () => {
    const n = await joined('host-f');
    expect(code(await rejection(call(n.client, n.client.createJoinToken, { ttlSeconds: 600, nodeName: '', replace: false, uses: 0 })))).toBe('HVS-AUTH-FORBIDDEN');
    expect(code(await rejection(call(n.client, n.client.listJoinTokens, {})))).toBe('HVS-AUTH-FORBIDDEN');

    const t = await call(ctl.nodes, ctl.nodes.createJoinToken, { ttlSeconds: 120, nodeName: '', replace: false, uses: 0 });
    const { id, secret } = parseJoinToken(t.token);
    const listed = (await call(ctl.nodes, ctl.nodes.listJoinTokens, {})).tokens;
    expect(listed.find((x) => x.id === id)).toMatchObject({ nodeName: '', expired: false });
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(await call(ctl.nodes, ctl.nodes.revokeJoinToken, { id })).toEqual({ revoked: true });
    expect(await call(ctl.nodes, ctl.nodes.revokeJoinToken, { id })).toEqual({ revoked: false });
    const { csrPem } = await makeCsr('CN=node:host-g');
    expect(code(await rejection(call(ctl.nodes, ctl.nodes.join, { token: t.token, nodeName: 'host-g', csrPem, address: '127.0.0.1:1' })))).toBe('HVS-JOIN-TOKEN-INVALID');

    const records = (await call(ctl.audit, ctl.audit.list, { kind: 'JoinToken', name: id, actor: '', since: '', limit: 10, continueToken: '' })).records;
    expect(records.map((r) => [r.operation, r.name, r.actor.startsWith('user:')])).toEqual(expect.arrayContaining([['create-join-token', id, true], ['revoke-join-token', id, true]]));
    const all = JSON.stringify((await call(ctl.audit, ctl.audit.list, { kind: '', name: '', actor: '', since: '', limit: 500, continueToken: '' })).records);
    expect(all).not.toContain(secret);
  });

  it('an unbound token cannot join a name that is already a node; ClusterStatus sees etcd', async () => {
    const t = await call(ctl.nodes, ctl.nodes.createJoinToken, { ttlSeconds: 600, nodeName: '', replace: false, uses: 0 });
    const { csrPem } = await makeCsr('CN=node:host-a');
    expect(code(await rejection(call(ctl.nodes, ctl.nodes.join, { token: t.token, nodeName: 'host-a', csrPem, address: '127.0.0.1:1' })))).toBe('HVS-JOIN-NODE-EXISTS');
    const s = await call(ctl.nodes, ctl.nodes.clusterStatus, {});
    expect(s).toMatchObject({ etcdOk: true, etcdError: '' });
  });
});
