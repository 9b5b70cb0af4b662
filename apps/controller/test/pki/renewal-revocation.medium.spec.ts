/**
 * Certificate renewal under the revocation rule, on a moved clock (the CA and the PKI take an
 * injected `now`), against a real etcd: an agent's certificate renews at 2/3 of its life and
 * both certificates work until the new one is used; the controller's own certificate renews
 * too and is never accepted as a node's. What the check costs per call: bench/pki.
 */
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { CERTIFICATE_PREFIX, ClusterPki, EtcdCertificateStore, EtcdTokenRepository, needsRenewal, type NodeCertificates } from '../../src/pki';
import { EtcdConnection, objectKey } from '../../src/store';
import { makeCsr, refusal, tempDirs } from './fixtures';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const tempDir = tempDirs();
let etcd: EtcdInstance;
let connection: EtcdConnection;

beforeAll(async () => {
  etcd = await startEtcd();
  connection = new EtcdConnection({ endpoints: [etcd.endpoint], callTimeoutMs: 5_000 });
});
afterAll(async () => {
  connection?.close();
  await etcd?.stop();
});

async function pkiAt(clock: () => number): Promise<ClusterPki> {
  return ClusterPki.create({
    dataDir: tempDir(), listenHost: '127.0.0.1', tokens: new EtcdTokenRepository(connection), certificates: new EtcdCertificateStore(connection),
    ca: { now: clock, nodeCertValidityMs: 30 * DAY, serverCertValidityMs: 30 * DAY },
  });
}

/** The Node object's key is what "the node exists" means to verify; its value does not matter here. */
async function nodeExists(name: string): Promise<void> {
  await connection.client.put(objectKey('Node', name)).value(JSON.stringify({ kind: 'Node', metadata: { name } })).exec();
}

/** What an agent does at a join or renewal: a CSR for its name, signed and recorded by the controller. */
async function issue(certs: NodeCertificates, pki: ClusterPki, node: string, how: Parameters<NodeCertificates['issued']>[2]): Promise<string> {
  const { csrPem } = await makeCsr(`CN=node:${node}`);
  const issued = await pki.ca.signNodeCsr(csrPem, node);
  await certs.issued(node, issued.certificatePem, how);
  return issued.certificatePem;
}

describe('renewal under the revocation rule (moved clock, real etcd)', () => {
  it('an agent renews at 2/3 of its certificate\'s life, twice over; each old certificate works until the new one is used, and expiry still applies', async () => {
    const start = Date.parse('2030-01-01T00:00:00Z');
    let now = start;
    const pki = await pkiAt(() => now);
    const certs = pki.certificates;
    await nodeExists('agent-1');
    const first = await issue(certs, pki, 'agent-1', { at: 'join', replace: false });
    await expect(certs.verify(first)).resolves.toMatchObject({ node: 'agent-1' });

    now = start + 19 * DAY;
    expect(needsRenewal(first, now)).toBe(false);
    now = start + 21 * DAY; // past 2/3 of 30 days: the agent renews, presenting `first`
    expect(needsRenewal(first, now)).toBe(true);
    const { fingerprint: presented } = await certs.verify(first);
    const second = await issue(certs, pki, 'agent-1', { at: 'renewal', presented });
    await expect(certs.verify(first)).resolves.toMatchObject({ node: 'agent-1' }); // calls still on the old connection
    await expect(certs.verify(second)).resolves.toMatchObject({ node: 'agent-1' }); // first use of the new one
    expect((await refusal(certs.verify(first))).why).toMatch(/^superseded by a newer certificate/);

    now = start + 31 * DAY; // `first` would have expired anyway; `second` runs to day 51
    await expect(certs.verify(second)).resolves.toMatchObject({ node: 'agent-1' });
    expect((await refusal(certs.verify(first))).why).toMatch(/expired/);

    now = start + 42 * DAY; // 2/3 of `second`'s life: the next renewal
    expect(needsRenewal(second, now)).toBe(true);
    const third = await issue(certs, pki, 'agent-1', { at: 'renewal', presented: (await certs.verify(second)).fingerprint });
    await expect(certs.verify(second)).resolves.toBeDefined();
    await expect(certs.verify(third)).resolves.toBeDefined();
    expect((await refusal(certs.verify(second))).why).toMatch(/superseded/);
    expect((await certs.list()).find((c) => c.node === 'agent-1')?.notAfter).toBe(new Date(start + 72 * DAY).toISOString());
  });

  it('the controller renews its own certificate at 2/3 of its life; neither the old nor the new one is ever accepted as a node, and nodes keep working', async () => {
    const start = Date.parse('2031-01-01T00:00:00Z');
    let now = start;
    const pki = await pkiAt(() => now);
    await nodeExists('agent-2');
    const node = await issue(pki.certificates, pki, 'agent-2', { at: 'join', replace: false });
    const before = pki.server.certificatePem;
    now = start + 19 * DAY;
    expect(await pki.renewServerCertificateIfDue()).toBe(false);
    now = start + 21 * DAY;
    expect(await pki.renewServerCertificateIfDue()).toBe(true);
    expect(pki.server.certificatePem).not.toBe(before);
    for (const pem of [before, pki.server.certificatePem]) expect((await refusal(pki.certificates.verify(pem))).why).toMatch(/names no node/);
    await expect(pki.certificates.verify(node)).resolves.toMatchObject({ node: 'agent-2' });
  });

  it('a record removed with its Node, and records of the old format (current only) still verify', async () => {
    const pki = await pkiAt(Date.now);
    await nodeExists('agent-3');
    const cert = await issue(pki.certificates, pki, 'agent-3', { at: 'join', replace: false });
    expect(await pki.certificates.forget('agent-3')).toBe(false); // the Node exists: kept
    // A record as written before revocation existed: the facts of the current certificate only.
    const record = JSON.parse((await connection.client.get(CERTIFICATE_PREFIX + 'agent-3').string())!) as { current: object };
    await connection.client.put(CERTIFICATE_PREFIX + 'agent-3').value(JSON.stringify(record.current)).exec();
    await expect(pki.certificates.verify(cert)).resolves.toMatchObject({ node: 'agent-3' });
    await connection.client.delete().key(objectKey('Node', 'agent-3')).exec();
    expect((await refusal(pki.certificates.verify(cert))).why).toMatch(/^revoked: node deleted/);
    expect(await pki.certificates.forget('agent-3')).toBe(true);
    expect(await connection.client.get(CERTIFICATE_PREFIX + 'agent-3').string()).toBeNull();
  });
});
