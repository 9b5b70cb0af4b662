/**
 * A stand-in controller for the agent's join tests: a tiny CA made with the same library, and
 * a NodeService server (generated definition) whose Join/RenewCertificate sign the agent's CSR.
 * The real CA is apps/controller/src/pki (apps do not import each other); this one follows the
 * same naming contract (docs/security.md).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes, webcrypto } from 'node:crypto';
import { Server, status } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import { toServiceError, v1 } from '@hvs/proto';
import { x509, KEY_ALGORITHM, exportPrivateKeyPem, generateKeyPair, type KeyPair } from '../../src/pki/x509';
import { callerIdentity, fingerprintOf, serverCredentials } from '../../src/pki';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-agent-pki-'));
}

export function modeOf(p: string): number {
  return fs.statSync(p).mode & 0o777;
}

export class TestCa {
  private constructor(readonly pem: string, private readonly keys: KeyPair) {}

  static async create(): Promise<TestCa> {
    const keys = await generateKeyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01', name: 'CN=hvs cluster CA', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000 * 365),
      keys, signingAlgorithm: KEY_ALGORITHM,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    return new TestCa(cert.toString('pem') + '\n', keys);
  }

  get fingerprint(): string {
    return fingerprintOf(this.pem);
  }

  async sign(subject: string, publicKey: webcrypto.CryptoKey, dns: string[], validityMs = 90 * 86_400_000): Promise<string> {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'), subject, issuer: 'CN=hvs cluster CA',
      notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + validityMs),
      publicKey, signingKey: this.keys.privateKey, signingAlgorithm: KEY_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']),
        new x509.SubjectAlternativeNameExtension(dns.map((value) => ({ type: 'dns' as const, value }))),
      ],
    });
    return cert.toString('pem') + '\n';
  }

  /** Signs a CSR as the controller would: only for `node`. */
  async signCsr(csrPem: string, node: string): Promise<string> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify()) || csr.subject !== `CN=node:${node}`) throw new Error('CSR refused');
    return this.sign(`CN=node:${node}`, await csr.publicKey.export(KEY_ALGORITHM, ['verify']), [`${node}.node.hvs`]);
  }

  /** A key and certificate for `subject` with `dns` names (controller or node). */
  async identity(subject: string, dns: string[]): Promise<{ certPem: string; keyPem: string }> {
    const keys = await generateKeyPair();
    return { certPem: await this.sign(subject, keys.publicKey, dns), keyPem: await exportPrivateKeyPem(keys.privateKey) };
  }
}

export interface FakeController {
  address: string;
  /** Every Join request received (tests check the token never arrived when it must not). */
  joins: v1.JoinRequest[];
  renewedFor: string[];
  stop(): Promise<void>;
}

/**
 * Serves Join (token must equal `token`) and RenewCertificate (caller must present a node
 * certificate; the new one is for that node only), with client certificates optional like the
 * controller's API port. `serverIdentity` overrides what the server presents.
 */
export async function startFakeController(ca: TestCa, token: string, serverIdentity?: { certPem: string; keyPem: string }): Promise<FakeController> {
  const own = serverIdentity ?? await ca.identity('CN=hvs-controller', ['controller.hvs']);
  const joins: v1.JoinRequest[] = [];
  const renewedFor: string[] = [];
  const server = new Server();
  const impl: Partial<v1.NodeServiceServer> = {
    join: (call, cb) => {
      joins.push(call.request);
      if (call.request.token !== token) {
        return cb(toServiceError(new HvsError({ code: 'HVS-JOIN-TOKEN-INVALID', category: 'Unauthenticated', message: 'the join token is not valid', fix: 'get a new one' })));
      }
      ca.signCsr(call.request.csrPem, call.request.nodeName).then(
        (certificatePem) => cb(null, { certificatePem, caCertificatePem: ca.pem, expiresAt: '', controllerAddresses: ['10.0.0.1:7443'] }),
        (e: Error) => cb({ code: status.PERMISSION_DENIED, details: e.message }),
      );
    },
    renewCertificate: (call, cb) => {
      const who = callerIdentity(call, ca.pem);
      if (who?.kind !== 'node') return cb({ code: status.UNAUTHENTICATED, details: 'node certificate required' });
      renewedFor.push(who.node);
      ca.signCsr(call.request.csrPem, who.node).then(
        (certificatePem) => cb(null, { certificatePem, caCertificatePem: ca.pem, expiresAt: '', controllerAddresses: [] }),
        (e: Error) => cb({ code: status.PERMISSION_DENIED, details: e.message }),
      );
    },
  };
  server.addService(v1.NodeServiceService, impl as v1.NodeServiceServer);
  const chain = own.certPem + (serverIdentity ? '' : ca.pem);
  const creds = serverCredentials(ca.pem, chain, own.keyPem, { requireClientCert: false });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    joins,
    renewedFor,
    stop: () => new Promise<void>((r) => server.tryShutdown(() => r())),
  };
}
