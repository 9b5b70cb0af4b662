/**
 * mTLS credentials over real grpc-js and TLS on 127.0.0.1, with a stand-in CA (the controller's
 * own matrix with ClusterCa is apps/controller/test/pki/mtls.spec.ts). The one method answers
 * with the identity named by the client certificate grpc-js verified, or "anonymous".
 */
import { X509Certificate } from 'node:crypto';
import { Client, Metadata, Server, credentials, status, type UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  CONTROLLER_SERVER_NAME, TlsMaterial, clientCredentials, clientTlsFrom, identityOf, nodeServerName, peerCertificateOf,
  serverCredentialsFrom, serverNameOptions, type ClientTls,
} from '../src';
import { TestCa, callFailure as failure } from './support';

jest.setTimeout(30_000);

const identity = (b: Buffer) => b;
const WHO_AM_I = {
  path: '/hvs.test.Mtls/WhoAmI', requestStream: false, responseStream: false,
  requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
};

let ca: TestCa;
let otherCa: TestCa;
let controller: { certPem: string; keyPem: string };
let node1: { certPem: string; keyPem: string };
const servers: Server[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  ca = await TestCa.create();
  otherCa = await TestCa.create();
  controller = await ca.identity('CN=hvs-controller', ['controller.hvs']);
  node1 = await ca.identity('CN=node:host-1', ['host-1.node.hvs']);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.tryShutdown(() => r()))));
});

async function startServer(material: TlsMaterial, requireClientCert: boolean): Promise<string> {
  const server = new Server();
  const impl: UntypedServiceImplementation = {
    WhoAmI: (call: Parameters<typeof peerCertificateOf>[0], cb: (e: null, res: Buffer) => void) => {
      const raw = peerCertificateOf(call);
      const id = raw === undefined ? undefined : identityOf(new X509Certificate(raw));
      cb(null, Buffer.from(id === undefined ? 'anonymous' : id.kind === 'node' ? `node ${id.node}` : 'controller'));
    },
  };
  server.addService({ WhoAmI: WHO_AM_I }, impl);
  const creds = serverCredentialsFrom(material, { requireClientCert });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  servers.push(server);
  return `127.0.0.1:${port}`;
}

function whoAmI(address: string, tls: ClientTls): Promise<string> {
  const client = new Client(address, tls.credentials, tls.options);
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(WHO_AM_I.path, identity, identity, Buffer.alloc(0), new Metadata(), { deadline: Date.now() + 5000 },
      (e, res) => (e ? reject(e) : resolve(res!.toString())));
  });
}

const controllerMaterial = () => new TlsMaterial({ caPem: ca.pem, certPem: controller.certPem + ca.pem, keyPem: controller.keyPem });
const asNode1 = (expectedServerName: string, caPem = ca.pem): ClientTls =>
  ({ credentials: clientCredentials(caPem, node1.certPem, node1.keyPem, { expectedServerName }), options: serverNameOptions(expectedServerName) });
const anonymous = (): ClientTls =>
  ({ credentials: credentials.createSsl(Buffer.from(ca.pem), null, null, { checkServerIdentity: () => undefined }), options: serverNameOptions(CONTROLLER_SERVER_NAME) });

describe('serverCredentialsFrom / clientCredentials (real grpc-js over TLS)', () => {
  it('requiring client certificates: a node certificate gets through and the handler reads its identity; none fails the handshake', async () => {
    const address = await startServer(controllerMaterial(), true);
    await expect(whoAmI(address, asNode1(CONTROLLER_SERVER_NAME))).resolves.toBe('node host-1');
    expect((await failure(whoAmI(address, anonymous()))).code).toBe(status.UNAVAILABLE);
  });

  it('with client certificates optional, a caller without one reaches the handler with no peer certificate', async () => {
    const address = await startServer(controllerMaterial(), false);
    await expect(whoAmI(address, anonymous())).resolves.toBe('anonymous');
    await expect(whoAmI(address, asNode1(CONTROLLER_SERVER_NAME))).resolves.toBe('node host-1');
  });

  it('a client checks the expected name, not the dialled address, and trusts only its CA', async () => {
    const address = await startServer(controllerMaterial(), false);
    // The details name the cause: the call must fail for this reason, not for any TLS error.
    expect(await failure(whoAmI(address, asNode1(nodeServerName('host-1'))))).toMatchObject({ code: status.UNAVAILABLE, details: expect.stringMatching(/altnames/) });
    expect(await failure(whoAmI(address, asNode1(CONTROLLER_SERVER_NAME, otherCa.pem)))).toMatchObject({ code: status.UNAVAILABLE, details: expect.stringMatching(/certificate/) });
  });
});

describe('TlsMaterial', () => {
  it('after update(), the next handshake presents the new identity; a client built on material follows its own update', async () => {
    const material = controllerMaterial();
    const address = await startServer(material, true);
    const clientMaterial = new TlsMaterial({ caPem: ca.pem, ...node1 });
    await expect(whoAmI(address, clientTlsFrom(clientMaterial, { expectedServerName: CONTROLLER_SERVER_NAME }))).resolves.toBe('node host-1');
    // The server now holds a node's certificate: clients expecting the controller refuse it.
    const host9 = await ca.identity('CN=node:host-9', ['host-9.node.hvs']);
    material.update({ certPem: host9.certPem, keyPem: host9.keyPem });
    expect(await failure(whoAmI(address, clientTlsFrom(clientMaterial, { expectedServerName: CONTROLLER_SERVER_NAME })))).toMatchObject({ code: status.UNAVAILABLE, details: expect.stringMatching(/altnames/) });
    const host2 = await ca.identity('CN=node:host-2', ['host-2.node.hvs']);
    clientMaterial.update(host2);
    await expect(whoAmI(address, clientTlsFrom(clientMaterial, { expectedServerName: nodeServerName('host-9') }))).resolves.toBe('node host-2');
  });

  it('delivers the current pair to a new listener on a microtask, every update after, and nothing once removed', async () => {
    const material = new TlsMaterial({ caPem: 'CA1', certPem: 'CERT1', keyPem: 'KEY1' });
    const seen: string[] = [];
    const onCa = (u: { caCertificate: Buffer } | null) => seen.push(`ca ${u?.caCertificate.toString()}`);
    const onId = (u: { certificate: Buffer; privateKey: Buffer } | null) => seen.push(`id ${u?.certificate.toString()} ${u?.privateKey.toString()}`);
    material.addCaCertificateListener(onCa);
    material.addIdentityCertificateListener(onId);
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual(['ca CA1', 'id CERT1 KEY1']);
    material.update({ certPem: 'CERT2', keyPem: 'KEY2' });
    expect(material.current).toEqual({ caPem: 'CA1', certPem: 'CERT2', keyPem: 'KEY2' });
    expect(seen.slice(2)).toEqual(['ca CA1', 'id CERT2 KEY2']);
    material.removeCaCertificateListener(onCa);
    material.removeIdentityCertificateListener(onId);
    material.update({ caPem: 'CA3' });
    expect(seen).toHaveLength(4);
  });

  it('a listener removed before its first microtask never hears anything', async () => {
    const material = new TlsMaterial({ caPem: 'CA', certPem: 'CERT', keyPem: 'KEY' });
    const listener = jest.fn();
    material.addCaCertificateListener(listener);
    material.removeCaCertificateListener(listener);
    await Promise.resolve();
    expect(listener).not.toHaveBeenCalled();
  });
});

describe('peerCertificateOf', () => {
  it('gives the DER a caller presented, or undefined for no auth context, no certificate or an empty one', () => {
    const der = new X509Certificate(node1.certPem).raw;
    type Call = Parameters<typeof peerCertificateOf>[0];
    const call = (ctx: unknown): Call => ({ getAuthContext: () => ctx as ReturnType<Call['getAuthContext']> });
    expect(peerCertificateOf(call({ sslPeerCertificate: { raw: der } }))!.equals(der)).toBe(true);
    expect(peerCertificateOf(call(null))).toBeUndefined();
    expect(peerCertificateOf(call({}))).toBeUndefined();
    expect(peerCertificateOf(call({ sslPeerCertificate: { raw: Buffer.alloc(0) } }))).toBeUndefined();
  });
});
