/**
 * Nodes confined (issue 12, item 3) through the whole controller (createApp, TLS gRPC, real
 * etcd), joining with real CSRs: a token for an existing node needs --replace (audited); Join
 * never overwrites an existing node; a replaced or deleted node's certificates stop working on
 * the next call; during a renewal the previous certificate works until the new one is used; a
 * multi-use token joins N hosts and no more; token creation is rate-limited.
 */
import { hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { status, type ServiceError } from '@grpc/grpc-js';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { CERTIFICATE_PREFIX, parseJoinToken } from '../../src/pki';
import { EtcdConnection } from '../../src/store';
import { call, rejection, startController, type ControllerUnderTest } from '../api/controller-under-test';
import { makeCsr } from './fixtures';

jest.setTimeout(90_000);

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

const hvs = (e: ServiceError) => hvsErrorFromServiceError(e);
const token = (nodeName: string, more: Partial<v1.CreateJoinTokenRequest> = {}, as: v1.NodeServiceClient = ctl.nodes) =>
  call(as, as.createJoinToken, { ttlSeconds: 600, nodeName, replace: false, uses: 0, ...more });

async function join(t: string, node: string, address = '127.0.0.1:7450'): Promise<{ certPem: string; keyPem: string; client: v1.NodeServiceClient }> {
  const { csrPem, keyPem } = await makeCsr(`CN=node:${node}`);
  const res = await call(ctl.nodes, ctl.nodes.join, { token: t, nodeName: node, csrPem, address });
  return { certPem: res.certificatePem, keyPem, client: ctl.nodeClientWith(res.certificatePem, keyPem) };
}

const beat = (c: v1.NodeServiceClient, node: string) => call(c, c.heartbeat, { node, observedGeneration: 0, sentAtUnixMs: 0 });
const register = (c: v1.NodeServiceClient, node: string) =>
  call(c, c.registerNode, { name: node, address: '127.0.0.1:7450', facts: v1.HostFacts.fromPartial({ hostname: node, cpus: 2, memoryBytes: 2 ** 30, hypervisorMode: 'test', agentVersion: '0.1.0' }), labels: {} });
const nodeAddress = async (node: string) => JSON.parse((await call(ctl.resources, ctl.resources.get, { kind: 'Node', name: node })).specJson).address as string;
const auditOf = async (kind: string, name: string) =>
  (await call(ctl.audit, ctl.audit.list, { kind, name, actor: '', since: '', limit: 50, continueToken: '' })).records.map((r) => [r.operation, r.actor, r.result]);

async function refusedAs(p: Promise<unknown>): Promise<{ grpc: number; code: string; why: string; fix: string }> {
  const e = await rejection(p);
  const h = hvs(e);
  return { grpc: e.code ?? -1, code: h.code, why: h.why ?? '', fix: h.fix ?? '' };
}

describe('a join token for an existing node', () => {
  it('is refused at creation unless the admin asks to replace it; the replace is audited on the Node', async () => {
    const first = await join((await token('keep-1')).token, 'keep-1');
    const refused = await refusedAs(token('keep-1'));
    expect(refused).toMatchObject({ grpc: status.ALREADY_EXISTS, code: 'HVS-JOIN-NODE-EXISTS', fix: expect.stringContaining('hvctl node token create --node keep-1 --replace') });
    const e = await refusedAs(token('', { replace: true }));
    expect(e.code).toBe('HVS-JOIN-TOKEN-REPLACE-UNBOUND');
    const alice = new v1.NodeServiceClient(ctl.grpc, ctl.bearerCreds(await ctl.tokenFor('alice', 'admin')), ctl.options);
    const replace = await token('keep-1', { replace: true }, alice);
    alice.close();
    expect(parseJoinToken(replace.token).id).toMatch(/^[0-9a-f]{16}$/);
    expect(await auditOf('Node', 'keep-1')).toEqual(expect.arrayContaining([['replace-node-authorized', 'user:alice', 'ok']]));
    const listed = (await call(ctl.nodes, ctl.nodes.listJoinTokens, {})).tokens.find((t) => t.id === parseJoinToken(replace.token).id);
    expect(listed).toMatchObject({ nodeName: 'keep-1', replace: true, usesLeft: 1 });
    await expect(beat(first.client, 'keep-1')).resolves.toBeDefined(); // minting a replace token changes nothing yet
  });

  it('Join never overwrites an existing node: a token bound before the node existed, or an unbound one, is refused and keeps the address', async () => {
    const early = await token('keep-2'); // minted while keep-2 did not exist yet
    const joined = await join((await token('keep-2')).token, 'keep-2', '10.0.0.2:7450');
    const { csrPem } = await makeCsr('CN=node:keep-2');
    for (const t of [early.token, (await token('')).token]) {
      const e = await refusedAs(call(ctl.nodes, ctl.nodes.join, { token: t, nodeName: 'keep-2', csrPem, address: '10.6.6.6:7450' }));
      expect(e).toMatchObject({ code: 'HVS-JOIN-NODE-EXISTS', fix: expect.stringContaining('--replace') });
    }
    expect(await nodeAddress('keep-2')).toBe('10.0.0.2:7450');
    await expect(beat(joined.client, 'keep-2')).resolves.toBeDefined();
  });

  it('with a replace token the new host takes the address and the old certificate stops working at once; audited as replace-node', async () => {
    const old = await join((await token('moved')).token, 'moved', '10.0.0.3:7450');
    await register(old.client, 'moved');
    const replace = await token('moved', { replace: true });
    const fresh = await join(replace.token, 'moved', '10.0.0.4:7450');
    expect(await nodeAddress('moved')).toBe('10.0.0.4:7450');
    const e = await refusedAs(beat(old.client, 'moved'));
    expect(e).toMatchObject({ grpc: status.UNAUTHENTICATED, code: 'HVS-PKI-PEER-UNTRUSTED', why: expect.stringMatching(/^revoked: replaced/), fix: expect.stringContaining('--replace') });
    expect((await refusedAs(register(old.client, 'moved'))).why).toMatch(/replaced/);
    await expect(beat(fresh.client, 'moved')).resolves.toBeDefined();
    expect(await auditOf('Node', 'moved')).toEqual(expect.arrayContaining([['replace-node', expect.stringContaining('node:moved'), 'ok']]));
    // The replace token is used up like any other.
    const { csrPem } = await makeCsr('CN=node:moved');
    expect((await refusedAs(call(ctl.nodes, ctl.nodes.join, { token: replace.token, nodeName: 'moved', csrPem, address: '10.0.0.5:7450' }))).code).toBe('HVS-JOIN-TOKEN-INVALID');
  });
});

describe('revocation', () => {
  it('a deleted node\'s certificate is refused on the next call, and its certificate record is removed', async () => {
    const n = await join((await token('gone-1')).token, 'gone-1');
    await register(n.client, 'gone-1');
    await call(ctl.resources, ctl.resources.delete, { kind: 'Node', name: 'gone-1', wait: false, resourceVersion: '', waitTimeoutMs: 0, names: [], labelSelector: '', ignoreNotFound: false });
    const e = await refusedAs(beat(n.client, 'gone-1'));
    expect(e).toMatchObject({ grpc: status.UNAUTHENTICATED, code: 'HVS-PKI-PEER-UNTRUSTED', why: expect.stringMatching(/^revoked: node deleted/) });
    // RegisterNode would otherwise re-create the node: refused the same way.
    expect((await refusedAs(register(n.client, 'gone-1'))).why).toMatch(/node deleted/);
    await waitFor(async () => (await etcdKeys(CERTIFICATE_PREFIX + 'gone-1')) === 0, { what: 'the certificate record of gone-1 to be removed' });
    expect((await call(ctl.nodes, ctl.nodes.listCertificates, {})).certificates.map((c) => c.name)).not.toContain('gone-1');
  });

  it('a node joined again under a deleted node\'s name: the old certificate stays refused, the new one works', async () => {
    const old = await join((await token('gone-2')).token, 'gone-2');
    await call(ctl.resources, ctl.resources.delete, { kind: 'Node', name: 'gone-2', wait: false, resourceVersion: '', waitTimeoutMs: 0, names: [], labelSelector: '', ignoreNotFound: false });
    const again = await join((await token('gone-2')).token, 'gone-2');
    await expect(beat(again.client, 'gone-2')).resolves.toBeDefined();
    expect((await refusedAs(beat(old.client, 'gone-2'))).why).toMatch(/^revoked: /);
  });

  it('renewal: the previous certificate works until the new one is first used, then is superseded; the new one keeps working', async () => {
    const n = await join((await token('renew-1')).token, 'renew-1');
    const k1 = await makeCsr('CN=node:renew-1');
    const renewed = await call(n.client, n.client.renewCertificate, { csrPem: k1.csrPem });
    // An agent may still have calls on its old connection: accepted until the new certificate shows up.
    await expect(beat(n.client, 'renew-1')).resolves.toBeDefined();
    await expect(beat(n.client, 'renew-1')).resolves.toBeDefined();
    // Renewing twice from the old certificate (a lost answer) keeps the old one as previous.
    const k2 = await makeCsr('CN=node:renew-1');
    const again = await call(n.client, n.client.renewCertificate, { csrPem: k2.csrPem });
    await expect(beat(n.client, 'renew-1')).resolves.toBeDefined();
    const firstRenewal = ctl.nodeClientWith(renewed.certificatePem, k1.keyPem);
    expect((await refusedAs(beat(firstRenewal, 'renew-1'))).why).toMatch(/superseded by a newer certificate/);
    const current = ctl.nodeClientWith(again.certificatePem, k2.keyPem);
    await expect(beat(current, 'renew-1')).resolves.toBeDefined();
    const e = await refusedAs(beat(n.client, 'renew-1'));
    expect(e).toMatchObject({ code: 'HVS-PKI-PEER-UNTRUSTED', why: expect.stringMatching(/^superseded by a newer certificate/) });
    await expect(beat(current, 'renew-1')).resolves.toBeDefined();
    // Only the node's own certificate renews it: the superseded one cannot.
    expect(hvs(await rejection(call(n.client, n.client.renewCertificate, { csrPem: (await makeCsr('CN=node:renew-1')).csrPem }))).code).toBe('HVS-PKI-PEER-UNTRUSTED');
  });

  it('a certificate the CA signed but the controller never recorded is refused (a stolen CA-signed leaf is not enough)', async () => {
    await join((await token('rec-1')).token, 'rec-1');
    const { csrPem, keyPem } = await makeCsr('CN=node:rec-1');
    const unrecorded = await ctl.pki.ca.signNodeCsr(csrPem, 'rec-1');
    const e = await refusedAs(beat(ctl.nodeClientWith(unrecorded.certificatePem, keyPem), 'rec-1'));
    expect(e.why).toMatch(/^revoked: it is not a certificate recorded for node "rec-1"/);
  });
});

describe('multi-use tokens', () => {
  it('a token with uses 4 joins four real hosts and refuses the fifth; it cannot be bound to a name', async () => {
    const t = await token('', { uses: 4, ttlSeconds: 3600 });
    const id = parseJoinToken(t.token).id;
    const joined = await Promise.all([0, 1, 2, 3].map((i) => join(t.token, `multi-${i}`, `10.1.0.${i}:7450`)));
    for (const [i, j] of joined.entries()) await expect(register(j.client, `multi-${i}`)).resolves.toBeDefined();
    expect((await call(ctl.nodes, ctl.nodes.listJoinTokens, {})).tokens.find((x) => x.id === id)).toBeUndefined();
    const { csrPem } = await makeCsr('CN=node:multi-4');
    const fifth = await refusedAs(call(ctl.nodes, ctl.nodes.join, { token: t.token, nodeName: 'multi-4', csrPem, address: '10.1.0.4:7450' }));
    expect(fifth).toMatchObject({ grpc: status.UNAUTHENTICATED, code: 'HVS-JOIN-TOKEN-INVALID' });
    expect((await refusedAs(call(ctl.resources, ctl.resources.get, { kind: 'Node', name: 'multi-4' }))).grpc).toBe(status.NOT_FOUND);
    expect((await refusedAs(token('multi-9', { uses: 2 }))).code).toBe('HVS-JOIN-TOKEN-MULTI-USE-BOUND');
  });

  it('a multi-use token still cannot take an existing node\'s name, and that refusal does not use up a join', async () => {
    const t = await token('', { uses: 2 });
    const before = await nodeAddress('multi-0');
    const { csrPem } = await makeCsr('CN=node:multi-0');
    expect((await refusedAs(call(ctl.nodes, ctl.nodes.join, { token: t.token, nodeName: 'multi-0', csrPem, address: '10.6.6.6:7450' }))).code).toBe('HVS-JOIN-NODE-EXISTS');
    expect((await call(ctl.nodes, ctl.nodes.listJoinTokens, {})).tokens.find((x) => x.id === parseJoinToken(t.token).id)?.usesLeft).toBe(2);
    expect(await nodeAddress('multi-0')).toBe(before);
  });
});

describe('token creation limits', () => {
  it('is rate-limited with a coded error that says when to retry', async () => {
    let refused: Awaited<ReturnType<typeof refusedAs>> | undefined;
    for (let i = 0; i < 40 && refused === undefined; i++) {
      try {
        await token('');
      } catch (e) {
        refused = { grpc: (e as ServiceError).code ?? -1, code: hvs(e as ServiceError).code, why: '', fix: hvs(e as ServiceError).fix ?? '' };
      }
    }
    expect(refused).toMatchObject({ grpc: status.RESOURCE_EXHAUSTED, code: 'HVS-JOIN-TOKEN-RATE-LIMITED', fix: expect.stringMatching(/retry after \d+ s/) });
  });
});

async function etcdKeys(key: string): Promise<number> {
  const c = new EtcdConnection({ endpoints: [etcd.endpoint], callTimeoutMs: 5_000 });
  try {
    return (await c.client.kv.range({ key: Buffer.from(key) })).kvs.length;
  } finally {
    c.close();
  }
}
