/**
 * This host's identity in the cluster: a P-256 key made here (it never leaves the host), the
 * certificate the controller issued for it, and the cluster CA it trusts. Files, all in
 * `<stateDir>/pki` (0700): `node.key` (0600), `node.crt`, `ca.crt`.
 *
 * Renewal keeps the key: a renewal CSR is signed by the same key, and only `node.crt` is
 * replaced (one atomic rename), so a crash mid-renewal can never leave a key and a certificate
 * that do not belong together. A new key comes with a new join.
 */
import * as path from 'node:path';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { isName } from '@hvs/domain';
import {
  x509, KEY_ALGORITHM, exportPrivateKeyPem, generateKeyPair, type KeyPair,
  ensurePrivateDir, readIfExists, tightenKeyMode, writeFileAtomic, CERT_MODE, KEY_MODE,
  fingerprintOf, NODE_CN_PREFIX, identityOf, nodeServerName, TlsMaterial,
} from '@hvs/pki';
import { identityMismatch, issuedCertificateInvalid } from './errors';

export class AgentIdentity {
  private certPem: string | undefined;
  private caPem: string | undefined;
  private material: TlsMaterial | undefined;

  private constructor(
    readonly dir: string,
    readonly nodeName: string,
    private readonly keys: KeyPair,
    private readonly keyPem: string,
  ) {
    this.certPem = readIfExists(path.join(dir, 'node.crt'));
    this.caPem = readIfExists(path.join(dir, 'ca.crt'));
  }

  /**
   * Loads the key from `<stateDir>/pki/node.key`, creating it (0600) on first start. A stored
   * certificate for another name, or one that does not match the key, is refused: the host was
   * renamed or its files were mixed up, and guessing would hand it someone else's identity.
   */
  static async loadOrCreate(stateDir: string, nodeName: string): Promise<AgentIdentity> {
    if (!isName(nodeName)) throw identityMismatch(stateDir, `"${String(nodeName).slice(0, 80)}" is not a DNS label`);
    const dir = path.join(stateDir, 'pki');
    ensurePrivateDir(dir);
    const keyFile = path.join(dir, 'node.key');
    let keyPem = readIfExists(keyFile);
    if (keyPem === undefined) {
      keyPem = await exportPrivateKeyPem((await generateKeyPair()).privateKey);
      writeFileAtomic(keyFile, keyPem, KEY_MODE);
    } else {
      tightenKeyMode(keyFile);
    }
    const identity = new AgentIdentity(dir, nodeName, await importKeys(keyPem), keyPem);
    if (identity.certPem !== undefined) identity.checkCertificate(identity.certPem, identity.caPem);
    return identity;
  }

  /** True once a certificate and the CA are stored (the agent can talk mTLS). */
  isJoined(): boolean {
    return this.certPem !== undefined && this.caPem !== undefined;
  }

  get certificatePem(): string | undefined {
    return this.certPem;
  }

  get caCertificatePem(): string | undefined {
    return this.caPem;
  }

  /** A PKCS#10 request for `CN=node:<name>`, SAN `<name>.node.hvs`, signed by this host's key. */
  async createCsr(): Promise<string> {
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=${NODE_CN_PREFIX}${this.nodeName}`,
      keys: this.keys,
      signingAlgorithm: KEY_ALGORITHM,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: nodeServerName(this.nodeName) }])],
    });
    return csr.toString('pem');
  }

  /**
   * Stores what the controller issued after checking it: signed by `caPem`, for this node's
   * name only, for this host's key. The CA goes first, the certificate last, so `isJoined()`
   * after a crash means both are in place. Live TLS material (if handed out) switches to the
   * new certificate for the next handshake.
   */
  saveIssued(certPem: string, caPem: string): { expiresAt: Date; caFingerprint: string } {
    const cert = this.checkCertificate(certPem, caPem);
    writeFileAtomic(path.join(this.dir, 'ca.crt'), caPem, CERT_MODE);
    this.caPem = caPem;
    writeFileAtomic(path.join(this.dir, 'node.crt'), certPem, CERT_MODE);
    this.certPem = certPem;
    this.material?.update({ caPem, certPem, keyPem: this.keyPem });
    return { expiresAt: new Date(cert.validTo), caFingerprint: fingerprintOf(caPem) };
  }

  /** grpc-js certificate provider for this identity; follows `saveIssued`. Requires isJoined(). */
  tlsMaterial(): TlsMaterial {
    if (!this.isJoined()) throw identityMismatch(this.dir, 'this host has not joined a cluster yet (no node.crt/ca.crt)');
    this.material ??= new TlsMaterial({ caPem: this.caPem!, certPem: this.certPem!, keyPem: this.keyPem });
    return this.material;
  }

  private checkCertificate(certPem: string, caPem: string | undefined): X509Certificate {
    let cert: X509Certificate;
    let ca: X509Certificate;
    try {
      cert = new X509Certificate(certPem);
      ca = new X509Certificate(caPem ?? '');
    } catch {
      throw issuedCertificateInvalid('the certificate or the CA is not PEM X.509');
    }
    if (!ca.ca || !cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw issuedCertificateInvalid('it is not signed by the cluster CA');
    const id = identityOf(cert);
    if (id?.kind !== 'node' || id.node !== this.nodeName) {
      throw identityMismatch(this.dir, `the certificate is for "${cert.subject.slice(0, 80)}", this agent is node "${this.nodeName}"`);
    }
    const ours = createPublicKey(this.keyPem).export({ type: 'spki', format: 'der' });
    if (!cert.publicKey.export({ type: 'spki', format: 'der' }).equals(ours)) throw identityMismatch(this.dir, 'the certificate is for another key than node.key');
    return cert;
  }
}

async function importKeys(keyPem: string): Promise<KeyPair> {
  const { webcrypto } = await import('node:crypto');
  const der = x509.PemConverter.decodeFirst(keyPem);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, true, ['sign']);
  // WebCrypto cannot derive a public key from a private one; go through Node's KeyObject.
  const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const publicKey = await webcrypto.subtle.importKey('spki', spki, KEY_ALGORITHM, true, ['verify']);
  return { privateKey, publicKey } as KeyPair;
}
