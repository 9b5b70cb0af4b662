/**
 * The small CA that locks the single-host etcd (docs/architecture/etcd-auth.md): etcd serves
 * its client and peer ports only over TLS and accepts only clients presenting a certificate
 * from this CA (`--client-cert-auth`). Everything lives in `<data dir>/etcd-tls` (0700): the CA
 * (key kept, so leaf certificates can be renewed without changing what clients trust), etcd's
 * server certificate (127.0.0.1 and localhost, also used for the peer port) and the client
 * certificate the controller and hvctl's health probe present. Keys are 0600 from their first
 * byte (@hvs/pki's writeFileAtomic). Loaded lazily: only `hvctl up` issues certificates, and
 * @peculiar/x509 is heavy for commands that never start etcd.
 */
import * as fs from 'node:fs';
import { webcrypto } from 'node:crypto';
import {
  CERT_MODE, KEY_ALGORITHM, KEY_MODE, ensurePrivateDir, exportPrivateKeyPem, generateKeyPair, needsRenewal, randomSerialNumber,
  readIfExists, writeFileAtomic, x509, type Key,
} from '@hvs/pki';
import { etcdTlsFiles, type EtcdTlsFiles } from './etcd-tls-files';

const DAY = 86_400_000;
const CA_VALIDITY_MS = 3650 * DAY;
const LEAF_VALIDITY_MS = 365 * DAY;
/** Issued a little in the past, so a clock a few minutes behind still accepts them. */
const SKEW_MS = 5 * 60_000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

interface Leaf {
  cert: string;
  key: string;
  subject: string;
  sans: x509.JsonGeneralName[];
  usages: string[];
}

interface Ca {
  cert: x509.X509Certificate;
  key: Key;
}

/**
 * Makes (first start) or renews (a leaf past 2/3 of its life, or missing) the CA and
 * certificates. Idempotent: a second call with valid files changes nothing. A broken or
 * missing CA key makes a new CA and new leaves (everything in the dir is re-issued together,
 * so what etcd trusts and what clients present always match after `hvctl up` restarts both).
 */
export async function ensureEtcdTls(dataDir: string, now = Date.now()): Promise<EtcdTlsFiles> {
  const f = etcdTlsFiles(dataDir);
  ensurePrivateDir(f.dir);
  const leaves: Leaf[] = [
    { cert: f.serverCert, key: f.serverKey, subject: 'CN=hvs-local-etcd', usages: [SERVER_AUTH, CLIENT_AUTH],
      sans: [{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }] },
    { cert: f.clientCert, key: f.clientKey, subject: 'CN=hvs-controller', usages: [CLIENT_AUTH], sans: [] },
  ];
  let ca = await loadCa(f);
  const renewAll = ca === undefined || needsRenewal(ca.cert.toString('pem'), now);
  if (renewAll) ca = await createCa(f, now);
  for (const leaf of leaves) {
    const pem = readIfExists(leaf.cert);
    if (renewAll || pem === undefined || !fs.existsSync(leaf.key) || needsRenewal(pem, now)) await issue(ca!, leaf, now);
  }
  return f;
}

async function loadCa(f: EtcdTlsFiles): Promise<Ca | undefined> {
  const certPem = readIfExists(f.caCert);
  const keyPem = readIfExists(f.caKey);
  if (certPem === undefined || keyPem === undefined) return undefined;
  try {
    const der = x509.PemConverter.decodeFirst(keyPem);
    const key = await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
    return { cert: new x509.X509Certificate(certPem), key };
  } catch {
    return undefined; // unreadable: replaced by a fresh CA
  }
}

async function createCa(f: EtcdTlsFiles, now: number): Promise<Ca> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(), name: 'CN=hvs local etcd CA', keys, signingAlgorithm: KEY_ALGORITHM,
    notBefore: new Date(now - SKEW_MS), notAfter: new Date(now + CA_VALIDITY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  writeFileAtomic(f.caKey, await exportPrivateKeyPem(keys.privateKey), KEY_MODE);
  writeFileAtomic(f.caCert, `${cert.toString('pem')}\n`, CERT_MODE);
  return { cert, key: keys.privateKey };
}

/** The key is written before the certificate: a crash between them leaves a pair that is re-issued next time. */
async function issue(ca: Ca, leaf: Leaf, now: number): Promise<void> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(), subject: leaf.subject, issuer: ca.cert.subject, publicKey: keys.publicKey,
    signingKey: ca.key, signingAlgorithm: KEY_ALGORITHM,
    notBefore: new Date(now - SKEW_MS), notAfter: new Date(Math.min(now + LEAF_VALIDITY_MS, ca.cert.notAfter.getTime())),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(leaf.usages),
      ...(leaf.sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(leaf.sans)] : []),
    ],
  });
  writeFileAtomic(leaf.key, await exportPrivateKeyPem(keys.privateKey), KEY_MODE);
  writeFileAtomic(leaf.cert, `${cert.toString('pem')}\n`, CERT_MODE);
}
