/**
 * The bootstrap flow against a stand-in controller over real grpc-js/TLS on 127.0.0.1:
 * CA discovery pinned by hash, Join with the token, storing, mTLS renewal.
 */
import * as net from 'node:net';
import { X509Certificate } from 'node:crypto';
import { AgentIdentity, discoverClusterCa, join, normalizeCaHash, renewCertificate } from '../../src/pki';
import { TestCa, refusal, startFakeController, tempDirs, type FakeController } from './fixtures';

jest.setTimeout(30_000);

const TOKEN_ID = '0123456789abcdef';
const SECRET = 'S'.repeat(43);
const stateDir = tempDirs('hvs-agent-pki-');
const controllers: FakeController[] = [];
let ca: TestCa;

async function controller(token: string, identity?: { certPem: string; keyPem: string }): Promise<FakeController> {
  const c = await startFakeController(ca, token, identity);
  controllers.push(c);
  return c;
}

beforeAll(async () => {
  ca = await TestCa.create();
});
afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
});

describe('discoverClusterCa', () => {
  it('returns the CA whose hash is pinned, and refuses any other server without sending anything', async () => {
    const c = await controller('unused');
    const found = await discoverClusterCa(c.address, ca.fingerprint);
    expect(found.caPem).toBe(ca.pem.trim() + '\n');
    const e = await refusal(discoverClusterCa(c.address, 'ab'.repeat(32)));
    expect(e.code).toBe('HVS-JOIN-CA-MISMATCH');
    expect(e.why).toContain(ca.fingerprint.slice(0, 16));
  });

  it('refuses a server of the right CA that is not the controller (a node certificate)', async () => {
    const node = await ca.identity('CN=node:evil', ['evil.node.hvs']);
    const c = await controller('unused', { certPem: node.certPem + ca.pem, keyPem: node.keyPem });
    expect((await refusal(discoverClusterCa(c.address, ca.fingerprint))).code).toBe('HVS-JOIN-CA-MISMATCH');
  });

  it('says the controller is unreachable when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    expect((await refusal(discoverClusterCa(`127.0.0.1:${port}`, ca.fingerprint))).code).toBe('HVS-JOIN-CONTROLLER-UNREACHABLE');
  });
});

describe('join', () => {
  it('joins with a token carrying the CA hash: sends name, CSR and address, stores a certificate for its name', async () => {
    const token = `hvs1.${TOKEN_ID}.${SECRET}.${ca.fingerprint}`;
    const c = await controller(token);
    const identity = await AgentIdentity.loadOrCreate(stateDir(), 'host-1');
    const result = await join({ controllerAddress: c.address, token, identity, agentAddress: '10.0.0.5:7444' });
    expect(result.caFingerprint).toBe(ca.fingerprint);
    expect(result.controllerAddresses).toEqual(['10.0.0.1:7443']);
    expect(c.joins).toHaveLength(1);
    expect(c.joins[0]).toMatchObject({ token, nodeName: 'host-1', address: '10.0.0.5:7444' });
    expect(identity.isJoined()).toBe(true);
    expect(new X509Certificate(identity.certificatePem!).subject).toBe('CN=node:host-1');
  });

  it('never sends the token to a server whose CA does not match the pinned hash', async () => {
    const token = `hvs1.${TOKEN_ID}.${SECRET}.${'ab'.repeat(32)}`;
    const c = await controller(token);
    const identity = await AgentIdentity.loadOrCreate(stateDir(), 'host-1');
    const e = await refusal(join({ controllerAddress: c.address, token, identity, agentAddress: 'x:1' }));
    expect(e.code).toBe('HVS-JOIN-CA-MISMATCH');
    expect(c.joins).toEqual([]);
    expect(identity.isJoined()).toBe(false);
    expect(e.toString()).not.toContain(SECRET);
  });

  it('takes the CA hash from --ca-hash (openssl style) when the token has none; refuses none or two that differ', async () => {
    const token = `hvs1.${TOKEN_ID}.${SECRET}`;
    const c = await controller(token);
    const identity = await AgentIdentity.loadOrCreate(stateDir(), 'host-2');
    const opensslStyle = 'sha256:' + ca.fingerprint.toUpperCase().match(/../g)!.join(':');
    expect(normalizeCaHash(opensslStyle)).toBe(ca.fingerprint);
    expect((await refusal(join({ controllerAddress: c.address, token, identity, agentAddress: 'x:1' }))).code).toBe('HVS-JOIN-CA-HASH-MISSING');
    const withOther = `${token}.${'cd'.repeat(32)}`;
    expect((await refusal(join({ controllerAddress: c.address, token: withOther, identity, agentAddress: 'x:1', caHash: opensslStyle }))).code).toBe('HVS-JOIN-CA-HASH-CONFLICT');
    expect(c.joins).toEqual([]);
    await join({ controllerAddress: c.address, token, identity, agentAddress: 'x:1', caHash: opensslStyle });
    expect(identity.isJoined()).toBe(true);
  });

  it('passes the controller\'s error through (code, message) and stores nothing', async () => {
    const c = await controller('the-right-token');
    const identity = await AgentIdentity.loadOrCreate(stateDir(), 'host-3');
    const e = await refusal(join({ controllerAddress: c.address, token: `hvs1.${TOKEN_ID}.${SECRET}.${ca.fingerprint}`, identity, agentAddress: 'x:1' }));
    expect(e.code).toBe('HVS-JOIN-TOKEN-INVALID');
    expect(identity.isJoined()).toBe(false);
    expect((await refusal(join({ controllerAddress: c.address, token: 'hvs1.short', identity, agentAddress: 'x:1' }))).code).toBe('HVS-JOIN-TOKEN-MALFORMED');
  });

  it('renews over mTLS with its current certificate, for its own name, and live TLS material follows', async () => {
    const token = `hvs1.${TOKEN_ID}.${SECRET}.${ca.fingerprint}`;
    const c = await controller(token);
    const identity = await AgentIdentity.loadOrCreate(stateDir(), 'host-4');
    await join({ controllerAddress: c.address, token, identity, agentAddress: 'x:1' });
    const material = identity.tlsMaterial();
    const before = identity.certificatePem!;
    await renewCertificate(c.address, identity);
    expect(c.renewedFor).toEqual(['host-4']);
    expect(identity.certificatePem).not.toBe(before);
    expect(new X509Certificate(identity.certificatePem!).subject).toBe('CN=node:host-4');
    expect(material.current.certPem).toBe(identity.certificatePem);
    // Renewal needs a joined identity: a fresh host cannot renew its way in.
    const fresh = await AgentIdentity.loadOrCreate(stateDir(), 'host-5');
    expect((await refusal(renewCertificate(c.address, fresh))).code).toBe('HVS-AGENT-IDENTITY-MISMATCH');
  });
});
