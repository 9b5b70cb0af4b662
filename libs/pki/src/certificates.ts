/**
 * Read-only facts about a certificate, for rotation and for `hvctl diagnose`. Pure apart from
 * parsing; the time is always passed in so callers can use their injected clock.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { USER_CN_PREFIX } from './names';
import { exportPrivateKeyPem, generateKeyPair, KEY_ALGORITHM, x509 } from './x509';

export const DEFAULT_RENEW_FRACTION = 2 / 3;

export function parseCertificate(pem: string | Buffer): X509Certificate {
  return new X509Certificate(pem);
}

/** Lower-case hex SHA-256 of the DER bytes: what `openssl x509 -outform der | sha256sum` prints. */
export function fingerprintOf(cert: string | Buffer | X509Certificate): string {
  const c = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return createHash('sha256').update(c.raw).digest('hex');
}

/** Milliseconds until the certificate's notAfter; negative once expired. */
export function expiresIn(cert: string | X509Certificate, now: number = Date.now()): number {
  const c = typeof cert === 'string' ? new X509Certificate(cert) : cert;
  return new Date(c.validTo).getTime() - now;
}

/**
 * True once `fraction` of the validity period has passed (default 2/3: a 90-day certificate is
 * renewed from day 60, leaving 30 days for retries, outages and clock skew), or when expired.
 */
export function needsRenewal(cert: string | X509Certificate, now: number = Date.now(), fraction = DEFAULT_RENEW_FRACTION): boolean {
  const c = typeof cert === 'string' ? new X509Certificate(cert) : cert;
  const from = new Date(c.validFrom).getTime();
  const to = new Date(c.validTo).getTime();
  return now >= from + (to - from) * fraction;
}

/**
 * A fresh key and a PKCS#10 request for a user's client certificate (`CN=user:<name>`, no
 * SAN): hvctl makes it so the key never leaves the operator's machine; the controller makes one
 * for its bootstrap admin.
 */
export async function createUserKeyAndCsr(name: string): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${USER_CN_PREFIX}${name}`, keys, signingAlgorithm: KEY_ALGORITHM });
  return { keyPem: await exportPrivateKeyPem(keys.privateKey), csrPem: csr.toString('pem') };
}
