/**
 * Test support for the PKI tests of this lib and of both apps (the apps may not import each
 * other's tests, but both may use these): temp dirs removed after the spec file, file modes,
 * catching an HvsError, and `TestCa`, a stand-in CA that follows the naming contract of
 * docs/security.md without being the controller's ClusterCa.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes, webcrypto } from 'node:crypto';
import type { ServiceError } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import { x509, KEY_ALGORITHM, exportPrivateKeyPem, fingerprintOf, generateKeyPair, type KeyPair } from '../src';

/** Call at a spec file's top level: returns a maker of temp dirs that are all removed after the file's tests. */
export function tempDirs(prefix = 'hvs-pki-'): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

export function modeOf(p: string): number {
  return fs.statSync(p).mode & 0o777;
}

/** The HvsError `p` rejects with; fails the test when it resolves or throws anything else. */
export async function refusal(p: Promise<unknown>): Promise<HvsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HvsError);
    return e as HvsError;
  }
  throw new Error('expected a refusal');
}

/** The HvsError `fn` throws; fails the test when it returns or throws anything else. */
export function thrown(fn: () => unknown): HvsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HvsError);
    return e as HvsError;
  }
  throw new Error('expected an error');
}

/** The gRPC error a call fails with; fails the test when the call succeeds. */
export async function callFailure(p: Promise<unknown>): Promise<ServiceError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as ServiceError,
  );
}

export interface Validity {
  from: Date;
  to: Date;
}

const DAY = 86_400_000;

export class TestCa {
  private constructor(readonly pem: string, private readonly keys: KeyPair) {}

  static async create(): Promise<TestCa> {
    const keys = await generateKeyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01', name: 'CN=hvs cluster CA', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 365 * DAY),
      keys, signingAlgorithm: KEY_ALGORITHM,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    return new TestCa(cert.toString('pem') + '\n', keys);
  }

  get fingerprint(): string {
    return fingerprintOf(this.pem);
  }

  /** A leaf for `subject` with DNS SANs `dns` (none: no SAN extension), valid 90 days from a minute ago unless told. */
  async sign(subject: string, publicKey: webcrypto.CryptoKey, dns: string[], validity?: Validity): Promise<string> {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'), subject, issuer: 'CN=hvs cluster CA',
      notBefore: validity?.from ?? new Date(Date.now() - 60_000), notAfter: validity?.to ?? new Date(Date.now() + 90 * DAY),
      publicKey, signingKey: this.keys.privateKey, signingAlgorithm: KEY_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']),
        ...(dns.length > 0 ? [new x509.SubjectAlternativeNameExtension(dns.map((value) => ({ type: 'dns' as const, value })))] : []),
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
  async identity(subject: string, dns: string[], validity?: Validity): Promise<{ certPem: string; keyPem: string }> {
    const keys = await generateKeyPair();
    return { certPem: await this.sign(subject, keys.publicKey, dns, validity), keyPem: await exportPrivateKeyPem(keys.privateKey) };
  }
}
