/**
 * The mTLS matrix with real grpc-js over TLS on 127.0.0.1: a tiny NodeService whose Heartbeat
 * answers with the node named by the caller's verified certificate.
 */
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Metadata, Server, credentials, status, type ChannelCredentials, type ServerCredentials } from '@grpc/grpc-js';
import { v1 } from '@hvs/proto';
import {
  ClusterCa, ClusterPki, MemoryCertificateStore, MemoryTokenRepository, TlsMaterial, clientCredentials, clientCredentialsFrom, nodeServerName, peerCertificateOf, serverCredentials, serverCredentialsFrom,
  serverNameOptions, CONTROLLER_SERVER_NAME, type IssuedServerCertificate,
} from '../../src/pki';
import { callFailure as failure, nodeIdentity, tempDirs } from './fixtures';

jest.setTimeout(30_000);

const tempDir = tempDirs();
const servers: Server[] = [];
const clients: v1.NodeServiceClient[] = [];
let ca: ClusterCa;
let otherCa: ClusterCa;
let serverCert: IssuedServerCertificate;

beforeAll(async () => {
  ca = await ClusterCa.loadOrCreate(tempDir());
  otherCa = await ClusterCa.loadOrCreate(tempDir());
  serverCert = await ca.issueServerCert({ dns: ['localhost'], ips: ['127.0.0.1'] });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.tryShutdown(() => r()))));
});

/** Heartbeat succeeds (lease_ttl_ms 8000) only for the node its caller's verified certificate names. */
async function startServer(creds: ServerCredentials, trust: ClusterCa = ca, onPeer?: (raw: Buffer) => void): Promise<number> {
  const server = new Server();
  const impl: Partial<v1.NodeServiceServer> = {
    heartbeat: (call, callback) => {
      const cert = peerCertificateOf(call);
      if (cert === undefined) return callback({ code: status.UNAUTHENTICATED, details: 'no client certificate' });
      onPeer?.(cert);
      try {
        const { node } = trust.verifyPeer(cert);
        if (node !== call.request.node) return callback({ code: status.PERMISSION_DENIED, details: `certificate is for ${node}` });
        callback(null, { leaseTtlMs: 8000, assignedGeneration: 1 });
      } catch (e) {
        callback({ code: status.UNAUTHENTICATED, details: (e as Error).message });
      }
    },
  };
  server.addService(v1.NodeServiceService, impl as v1.NodeServiceServer);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  servers.push(server);
  return port;
}

function heartbeat(port: number, creds: ChannelCredentials, node: string): Promise<number> {
  // SNI only (Node 26 refuses an IP there); what is verified is the name inside `creds`.
  const client = new v1.NodeServiceClient(`127.0.0.1:${port}`, creds, serverNameOptions(CONTROLLER_SERVER_NAME));
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.heartbeat({ node, observedGeneration: 0, sentAtUnixMs: 0 }, new Metadata(), { deadline: Date.now() + 5000 }, (e, res) => (e ? reject(e) : resolve(res!.leaseTtlMs)));
  });
}

const controllerServer = (requireClientCert: boolean) =>
  serverCredentials(ca.certificatePem, serverCert.chainPem, serverCert.privateKeyPem, { requireClientCert });

describe('mTLS between controller and agents (real grpc-js over TLS)', () => {
  it('accepts a client with a node certificate from the cluster CA, and the server knows which node it is', async () => {
    const port = await startServer(controllerServer(true));
    const n1 = await nodeIdentity(ca, 'host-1');
    const creds = clientCredentials(ca.certificatePem, n1.certPem, n1.keyPem, { expectedServerName: CONTROLLER_SERVER_NAME });
    await expect(heartbeat(port, creds, 'host-1')).resolves.toBe(8000);
    // The same certificate cannot report for another node.
    const e = await failure(heartbeat(port, creds, 'host-2'));
    expect(e.code).toBe(status.PERMISSION_DENIED);
  });

  it('rejects a client with no certificate and one with a certificate from another CA at the handshake', async () => {
    const port = await startServer(controllerServer(true));
    const noCert = await failure(heartbeat(port, clientCredentialsNoIdentity(), 'host-1'));
    expect(noCert.code).toBe(status.UNAVAILABLE);
    const foreign = await nodeIdentity(otherCa, 'host-1');
    const e = await failure(heartbeat(port, clientCredentials(ca.certificatePem, foreign.certPem, foreign.keyPem, { expectedServerName: CONTROLLER_SERVER_NAME }), 'host-1'));
    expect(e.code).toBe(status.UNAVAILABLE);
  });

  it('a client rejects a server whose certificate is not from the cluster CA, or names someone else', async () => {
    const fake = await otherCa.issueServerCert({ ips: ['127.0.0.1'] });
    const port = await startServer(serverCredentials(otherCa.certificatePem, fake.chainPem, fake.privateKeyPem, { requireClientCert: false }), otherCa);
    const n1 = await nodeIdentity(ca, 'host-1');
    const e = await failure(heartbeat(port, clientCredentials(ca.certificatePem, n1.certPem, n1.keyPem, { expectedServerName: CONTROLLER_SERVER_NAME }), 'host-1'));
    expect(e.code).toBe(status.UNAVAILABLE);
    // A real cluster server, but dialled as node host-9: the controller's certificate is not host-9's.
    const real = await startServer(controllerServer(true));
    const wrongName = await failure(heartbeat(real, clientCredentials(ca.certificatePem, n1.certPem, n1.keyPem, { expectedServerName: nodeServerName('host-9') }), 'host-1'));
    expect(wrongName.code).toBe(status.UNAVAILABLE);
  });

  it('the controller can dial an agent as <node>.node.hvs and an agent\'s certificate serves only its own name', async () => {
    const agent = await nodeIdentity(ca, 'host-1');
    const port = await startServer(serverCredentials(ca.certificatePem, agent.certPem, agent.keyPem, { requireClientCert: true }));
    const n2 = await nodeIdentity(ca, 'host-2');
    await expect(heartbeat(port, clientCredentials(ca.certificatePem, n2.certPem, n2.keyPem, { expectedServerName: nodeServerName('host-1') }), 'host-2')).resolves.toBe(8000);
    const other = await failure(heartbeat(port, clientCredentials(ca.certificatePem, n2.certPem, n2.keyPem, { expectedServerName: nodeServerName('host-3') }), 'host-2'));
    expect(other.code).toBe(status.UNAVAILABLE);
  });

  it('with client certificates optional, callers without one or with a foreign one reach the handler as unauthenticated', async () => {
    const port = await startServer(controllerServer(false));
    expect((await failure(heartbeat(port, clientCredentialsNoIdentity(), 'host-1'))).details).toBe('no client certificate');
    const foreign = await nodeIdentity(otherCa, 'host-1');
    const e = await failure(heartbeat(port, clientCredentials(ca.certificatePem, foreign.certPem, foreign.keyPem, { expectedServerName: CONTROLLER_SERVER_NAME }), 'host-1'));
    // grpc-js hands the handler only certificates that verified against the server's CA.
    expect(e.code).toBe(status.UNAUTHENTICATED);
    expect(e.details).toBe('no client certificate');
    const n1 = await nodeIdentity(ca, 'host-1');
    await expect(heartbeat(port, clientCredentials(ca.certificatePem, n1.certPem, n1.keyPem, { expectedServerName: CONTROLLER_SERVER_NAME }), 'host-1')).resolves.toBe(8000);
  });

  it('serves the CA after the leaf (so a joining agent can pin it) and picks up a rotated certificate on the next handshake', async () => {
    const material = new TlsMaterial({ caPem: ca.certificatePem, certPem: serverCert.chainPem, keyPem: serverCert.privateKeyPem });
    const port = await startServer(serverCredentialsFrom(material, { requireClientCert: false }));
    const first = await presented(port);
    expect(first.leaf).toBe(new X509Certificate(serverCert.certificatePem).serialNumber);
    expect(first.issuer).toBe(ca.fingerprint);
    const next = await ca.issueServerCert({ ips: ['127.0.0.1'] });
    material.update({ certPem: next.chainPem, keyPem: next.privateKeyPem });
    expect((await presented(port)).leaf).toBe(new X509Certificate(next.certificatePem).serialNumber);
    // And a client built on rotating material still works after its own rotation.
    const n1 = await nodeIdentity(ca, 'host-1');
    const clientMaterial = new TlsMaterial({ caPem: ca.certificatePem, ...n1 });
    await expect(heartbeat(port, clientCredentialsFrom(clientMaterial, { expectedServerName: CONTROLLER_SERVER_NAME }), 'host-1')).resolves.toBe(8000);
  });
});

describe("the controller's own certificate renews in place (ClusterPki, real TLS)", () => {
  it('before 2/3 of its life nothing changes; after, the API port and the agent dialer present a new certificate without a restart', async () => {
    const DAY = 86_400_000;
    // Issued 21 days ago, so what is issued at the end is valid on the real clock the TLS stack uses.
    const start = Date.now() - 21 * DAY;
    let now = start;
    const pki = await ClusterPki.create({
      dataDir: tempDir(), listenHost: '127.0.0.1', tokens: new MemoryTokenRepository(), certificates: new MemoryCertificateStore(),
      ca: { now: () => now, serverCertValidityMs: 30 * DAY },
    });
    const port = await startServer(pki.serverCredentials(), pki.ca);
    const first = pki.server;
    expect((await presented(port)).leaf).toBe(new X509Certificate(first.certificatePem).serialNumber);

    now = start + 19 * DAY; // under 2/3 of 30 days
    expect(await pki.renewServerCertificateIfDue()).toBe(false);
    expect(pki.server).toBe(first);

    now = Date.now(); // 21 of 30 days: past 2/3
    expect(await pki.renewServerCertificateIfDue()).toBe(true);
    const second = pki.server;
    expect(second.certificatePem).not.toBe(first.certificatePem);
    expect(second.expiresAt.getTime()).toBeGreaterThan(first.expiresAt.getTime());
    expect(new X509Certificate(second.certificatePem).subjectAltName).toBe(new X509Certificate(first.certificatePem).subjectAltName);
    const served = await presented(port);
    expect(served.leaf).toBe(new X509Certificate(second.certificatePem).serialNumber);
    expect(served.issuer).toBe(pki.ca.fingerprint);

    // The dispatcher's dialer presents the renewed certificate to an agent that requires one of the CA.
    const agent = await nodeIdentity(pki.ca, 'host-1');
    const seen: string[] = [];
    const agentPort = await startServer(serverCredentials(pki.ca.certificatePem, agent.certPem, agent.keyPem, { requireClientCert: true }), pki.ca, (raw) => seen.push(new X509Certificate(raw).serialNumber));
    const dialled = new v1.NodeServiceClient(`127.0.0.1:${agentPort}`, pki.agentCredentials('host-1'), serverNameOptions(nodeServerName('host-1')));
    clients.push(dialled);
    await expect(new Promise((resolve, reject) => dialled.heartbeat({ node: 'controller.hvs', observedGeneration: 0, sentAtUnixMs: 0 }, new Metadata(), { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r)))))
      .rejects.toMatchObject({ code: status.UNAUTHENTICATED }); // the controller's certificate names no node; the handler still saw it
    expect(seen).toEqual([new X509Certificate(second.certificatePem).serialNumber]);
  });
});

function clientCredentialsNoIdentity(): ChannelCredentials {
  // Trusts the CA but presents nothing: what a fresh, not yet joined agent has.
  return credentials.createSsl(Buffer.from(ca.certificatePem), null, null, { checkServerIdentity: () => undefined });
}

/** The serial of the leaf a server presents and the SHA-256 of the next certificate in its chain. */
function presented(port: number): Promise<{ leaf: string; issuer: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      const leaf = socket.getPeerCertificate(true);
      socket.destroy();
      const issuerRaw = leaf.issuerCertificate?.raw;
      resolve({ leaf: leaf.serialNumber.toUpperCase(), issuer: issuerRaw ? new X509Certificate(issuerRaw).fingerprint256.replace(/:/g, '').toLowerCase() : '' });
    });
    socket.on('error', reject);
  });
}
