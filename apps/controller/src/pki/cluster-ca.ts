/**
 * The cluster's certificate authority: the controller signs every node's certificate and its
 * own server certificate with one ECDSA P-256 key kept in `<dataDir>/pki/ca.key` (0600, dir
 * 0700). The private key is imported non-extractable; it never leaves this object except as
 * the file it was read from.
 *
 * Guarantees:
 *  - a node certificate names exactly one node (CN `node:<name>`, SAN `<name>.node.hvs`), the
 *    one the caller vouches for (the join token's or the authenticated peer's); a request
 *    naming anything else is refused, not corrected;
 *  - `verifyPeer` accepts only certificates this CA signed, currently valid, that carry a node
 *    identity. It does not know about revocation: the API asks NodeCertificates.verify, which
 *    adds the check against the node's recorded certificates.
 */
import * as path from 'node:path';
import { createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { isName } from '@hvs/domain';
import {
  x509, KEY_ALGORITHM, generateKeyPair, exportPrivateKeyPem, type Key,
  ensurePrivateDir, readIfExists, tightenKeyMode, writeFileAtomic, CERT_MODE, KEY_MODE,
  fingerprintOf, CA_CN, CONTROLLER_CN, CONTROLLER_SERVER_NAME, NODE_CN_PREFIX, USER_CN_PREFIX, identityOf, nodeServerName, type PeerIdentity,
} from '@hvs/pki';
import { caUnreadable, csrInvalid, csrNameMismatch, nodeNameInvalid, peerUntrusted } from './errors';

const DAY = 86_400_000;
/** notBefore is back-dated this much so a host whose clock is a little behind accepts a fresh certificate. */
export const CLOCK_SKEW_ALLOWANCE_MS = 5 * 60_000;
const MAX_CSR_BYTES = 16 * 1024;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface ClusterCaOptions {
  /** Injected clock (ms since epoch). */
  now?: () => number;
  /** Validity of node certificates, default 90 days. */
  nodeCertValidityMs?: number;
  /** Validity of the controller's server certificates, default 365 days. */
  serverCertValidityMs?: number;
  /** Validity of a newly created CA, default 10 years. */
  caValidityMs?: number;
}

export interface IssuedCertificate {
  certificatePem: string;
  caCertificatePem: string;
  expiresAt: Date;
}

export interface IssuedServerCertificate extends IssuedCertificate {
  /** The leaf followed by the CA: serve this so a joining agent can see (and pin) the CA. */
  chainPem: string;
  /** Secret: PKCS#8 PEM, held in memory by the caller, never logged. */
  privateKeyPem: string;
}

export interface VerifiedNode {
  node: string;
  expiresAt: Date;
  /** Hex SHA-256 of the certificate (DER): what the node's certificate records name. */
  fingerprint: string;
}

export interface VerifiedClient {
  identity: PeerIdentity;
  /** sha256 fingerprint (fingerprintOf): what user and node records list. */
  fingerprint: string;
  expiresAt: Date;
}

export class ClusterCa {
  readonly certificatePem: string;
  /** Hex SHA-256 of the CA certificate (DER): agents pin it from the join token. */
  readonly fingerprint: string;
  private readonly cert: X509Certificate;
  private readonly now: () => number;

  private constructor(
    readonly dir: string,
    certificatePem: string,
    private readonly signingKey: Key,
    private readonly options: ClusterCaOptions,
  ) {
    this.certificatePem = certificatePem;
    this.cert = new X509Certificate(certificatePem);
    this.fingerprint = fingerprintOf(this.cert);
    this.now = options.now ?? Date.now;
  }

  /**
   * Loads `<dataDir>/pki/ca.{crt,key}`, or creates them when neither exists. The key is written
   * before the certificate, so a key without a certificate means a creation that never
   * finished (nothing was ever signed with it) and is replaced; a certificate without its key,
   * or a key that does not match, is an error: nodes trust that certificate.
   */
  static async loadOrCreate(dataDir: string, options: ClusterCaOptions = {}): Promise<ClusterCa> {
    const dir = path.join(dataDir, 'pki');
    ensurePrivateDir(dir);
    const keyFile = path.join(dir, 'ca.key');
    const certFile = path.join(dir, 'ca.crt');
    const certPem = readIfExists(certFile);
    if (certPem === undefined) return ClusterCa.create(dir, keyFile, certFile, options);
    const keyPem = readIfExists(keyFile);
    if (keyPem === undefined) throw caUnreadable(dir, 'ca.crt exists but ca.key is missing');
    tightenKeyMode(keyFile);
    let signingKey: Key;
    try {
      const cert = new X509Certificate(certPem);
      const fromKey = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
      const fromCert = cert.publicKey.export({ type: 'spki', format: 'der' });
      if (!fromKey.equals(fromCert)) throw new Error('ca.key does not belong to ca.crt');
      signingKey = await importSigningKey(keyPem);
    } catch (e) {
      // The cause's text is about parsing, never the key's bytes; still, keep only our summary.
      throw caUnreadable(dir, e instanceof Error && /does not belong/.test(e.message) ? e.message : 'ca.crt or ca.key is not a valid PEM P-256 certificate/key');
    }
    return new ClusterCa(dir, certPem, signingKey, options);
  }

  private static async create(dir: string, keyFile: string, certFile: string, options: ClusterCaOptions): Promise<ClusterCa> {
    const now = (options.now ?? Date.now)();
    const keys = await generateKeyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(),
      name: `CN=${CA_CN}`,
      notBefore: new Date(now - CLOCK_SKEW_ALLOWANCE_MS),
      notAfter: new Date(now + (options.caValidityMs ?? 3650 * DAY)),
      keys,
      signingAlgorithm: KEY_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const keyPem = await exportPrivateKeyPem(keys.privateKey);
    writeFileAtomic(keyFile, keyPem, KEY_MODE);
    const certPem = cert.toString('pem') + '\n';
    writeFileAtomic(certFile, certPem, CERT_MODE);
    return new ClusterCa(dir, certPem, await importSigningKey(keyPem), options);
  }

  /**
   * A fresh key and certificate for the controller's gRPC server (and its client side when it
   * dials agents): CN `hvs-controller`, SANs `controller.hvs` + the given names, EKU server and
   * client auth. Not written to disk; issue a new one at every start.
   */
  async issueServerCert(names: { dns?: string[]; ips?: string[] }): Promise<IssuedServerCertificate> {
    const keys = await generateKeyPair();
    const dns = [...new Set([CONTROLLER_SERVER_NAME, ...(names.dns ?? [])])];
    const sans: x509.JsonGeneralName[] = [
      ...dns.map((value) => ({ type: 'dns' as const, value })),
      ...[...new Set(names.ips ?? [])].map((value) => ({ type: 'ip' as const, value })),
    ];
    const issued = await this.sign(`CN=${CONTROLLER_CN}`, keys.publicKey, sans, this.options.serverCertValidityMs ?? 365 * DAY);
    return {
      ...issued,
      chainPem: issued.certificatePem + this.certificatePem,
      privateKeyPem: await exportPrivateKeyPem(keys.privateKey),
    };
  }

  /**
   * Signs a node's CSR for `nodeName`, the name the caller has already authorised (join token
   * or mTLS peer). Refuses (never rewrites) a request whose subject or SANs name anything else,
   * whose signature does not verify (proof the requester holds the key), or whose key is not
   * ECDSA P-256. Errors never echo the CSR.
   */
  async signNodeCsr(csrPem: string, nodeName: string): Promise<IssuedCertificate> {
    if (!isName(nodeName)) throw nodeNameInvalid(nodeName);
    const csr = await readCsr(csrPem);
    const expected = `CN=${NODE_CN_PREFIX}${nodeName}`;
    if (csr.subject !== expected) throw csrNameMismatch(csr.subject, nodeName);
    const san = csr.getExtension('2.5.29.17');
    if (san !== null) {
      if (!(san instanceof x509.SubjectAlternativeNameExtension)) throw csrInvalid('its subjectAltName extension cannot be read');
      const asked = san.names.items.map((n) => `${n.type}:${n.value}`);
      if (asked.length !== 1 || asked[0] !== `dns:${nodeServerName(nodeName)}`) throw csrNameMismatch(asked.join(', '), nodeName);
    }
    const publicKey = await csr.publicKey.export(KEY_ALGORITHM, ['verify']);
    return this.sign(expected, publicKey, [{ type: 'dns', value: nodeServerName(nodeName) }], this.options.nodeCertValidityMs ?? 90 * DAY);
  }

  /**
   * Signs a user's CSR (subject exactly `CN=user:<name>`, no SAN): a client-only certificate.
   * Who the user is and which role it has is the caller's record (identity/), not the certificate.
   */
  async signUserCsr(csrPem: string, userName: string, validityMs: number): Promise<IssuedCertificate> {
    if (!isName(userName)) throw nodeNameInvalid(userName);
    const csr = await readCsr(csrPem);
    const expected = `CN=${USER_CN_PREFIX}${userName}`;
    if (csr.subject !== expected) throw csrNameMismatch(csr.subject, userName);
    if (csr.getExtension('2.5.29.17') !== null) throw csrInvalid('a user certificate request must not ask for subjectAltNames');
    const publicKey = await csr.publicKey.export(KEY_ALGORITHM, ['verify']);
    return this.sign(expected, publicKey, [], validityMs, [CLIENT_AUTH]);
  }

  /**
   * Any client certificate of this CA, currently valid, that carries one identity (node, user
   * or controller): the chain, validity and names, not whether it is still on record.
   */
  verifyClient(cert: string | Buffer): VerifiedClient {
    let c: X509Certificate;
    try {
      c = new X509Certificate(cert);
    } catch {
      throw peerUntrusted('it is not an X.509 certificate');
    }
    if (!c.checkIssued(this.cert) || !c.verify(this.cert.publicKey)) throw peerUntrusted('it was not issued by this cluster\'s CA');
    const now = this.now();
    if (now < new Date(c.validFrom).getTime() - CLOCK_SKEW_ALLOWANCE_MS) throw peerUntrusted(`it is not valid before ${new Date(c.validFrom).toISOString()} (check this host's clock)`);
    if (now > new Date(c.validTo).getTime()) throw peerUntrusted(`it expired at ${new Date(c.validTo).toISOString()}`);
    const identity = identityOf(c);
    if (identity === undefined) throw peerUntrusted(`its subject "${c.subject.slice(0, 120)}" names no node and no user`);
    return { identity, fingerprint: fingerprintOf(c), expiresAt: new Date(c.validTo) };
  }

  /**
   * The node a presented client certificate (PEM or DER, e.g. grpc-js's
   * `call.getAuthContext().sslPeerCertificate.raw`) speaks for. Checks the signature against
   * this CA, the validity period and the names; TLS has normally checked the first two already,
   * this repeats them so a server that only requests (not requires) client certificates is
   * still safe.
   */
  verifyPeer(cert: string | Buffer): VerifiedNode {
    const { identity, expiresAt, fingerprint } = this.verifyClient(cert);
    if (identity.kind !== 'node') throw peerUntrusted(`it names no node (it is a ${identity.kind} certificate)`);
    return { node: identity.node, expiresAt, fingerprint };
  }

  private async sign(subject: string, publicKey: Key, sans: x509.JsonGeneralName[], validityMs: number, usages = [SERVER_AUTH, CLIENT_AUTH]): Promise<IssuedCertificate> {
    const now = this.now();
    const caCert = new x509.X509Certificate(this.certificatePem);
    const notAfter = new Date(Math.min(now + validityMs, new Date(this.cert.validTo).getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject,
      issuer: caCert.subject,
      notBefore: new Date(now - CLOCK_SKEW_ALLOWANCE_MS),
      notAfter,
      publicKey,
      signingKey: this.signingKey,
      signingAlgorithm: KEY_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(usages),
        ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
      ],
    });
    return { certificatePem: cert.toString('pem') + '\n', caCertificatePem: this.certificatePem, expiresAt: cert.notAfter };
  }
}

/** 128 random bits, top bit clear so the DER INTEGER stays positive. */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

/** A CSR that is PEM PKCS#10, small, ECDSA P-256 and self-signed (proof of the key); errors never echo it. */
async function readCsr(csrPem: string): Promise<x509.Pkcs10CertificateRequest> {
  if (typeof csrPem !== 'string' || csrPem.length > MAX_CSR_BYTES) throw csrInvalid(`it is not a PEM text of at most ${MAX_CSR_BYTES} bytes`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw csrInvalid('it is not a PEM PKCS#10 certificate request');
  }
  const alg = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') throw csrInvalid('its key is not ECDSA P-256');
  if (!(await csr.verify().catch(() => false))) throw csrInvalid('its signature does not verify, so it does not prove possession of the key');
  return csr;
}

async function importSigningKey(keyPem: string): Promise<Key> {
  const { webcrypto } = await import('node:crypto');
  const der = x509.PemConverter.decodeFirst(keyPem);
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
}
