/**
 * The first admin: at every start the controller makes sure `<dataDir>/pki/admin.crt` and
 * `admin.key` (0600) hold a current client certificate of the user `admin` (role admin) and
 * that the user record lists it. `hvctl up` points its local context at these files. Whoever
 * can read the data dir holds the CA key anyway, so this adds no new power; it gives the
 * machine's operator a first credential without any anonymous path.
 */
import * as path from 'node:path';
import { createUserKeyAndCsr, ensurePrivateDir, KEY_MODE, needsRenewal, readIfExists, writeFileAtomic } from '@hvs/pki';
import type { ClusterCa } from '../pki';
import type { JsonRecords } from './json-records';
import { userCertificateOf, withCertificate, type UserRecord } from './records';

export const BOOTSTRAP_ADMIN = 'admin';
export const ADMIN_CERT_FILE = 'admin.crt';
export const ADMIN_KEY_FILE = 'admin.key';
const YEAR_MS = 365 * 86_400_000;

export interface BootstrapFiles {
  certFile: string;
  keyFile: string;
}

export function bootstrapFiles(dataDir: string): BootstrapFiles {
  return { certFile: path.join(dataDir, 'pki', ADMIN_CERT_FILE), keyFile: path.join(dataDir, 'pki', ADMIN_KEY_FILE) };
}

export async function ensureBootstrapAdmin(o: { dataDir: string; ca: ClusterCa; users: JsonRecords<UserRecord>; now?: () => number }): Promise<BootstrapFiles> {
  const now = (o.now ?? Date.now)();
  const files = bootstrapFiles(o.dataDir);
  ensurePrivateDir(path.dirname(files.certFile));
  let certPem = readIfExists(files.certFile);
  let usable = false;
  if (certPem !== undefined && readIfExists(files.keyFile) !== undefined) {
    try {
      const v = o.ca.verifyClient(certPem);
      usable = v.identity.kind === 'user' && v.identity.user === BOOTSTRAP_ADMIN && !needsRenewal(certPem, now);
    } catch {
      usable = false;
    }
  }
  if (!usable) {
    const { keyPem, csrPem } = await createUserKeyAndCsr(BOOTSTRAP_ADMIN);
    const issued = await o.ca.signUserCsr(csrPem, BOOTSTRAP_ADMIN, YEAR_MS);
    writeFileAtomic(files.keyFile, keyPem, KEY_MODE);
    writeFileAtomic(files.certFile, issued.certificatePem, KEY_MODE);
    certPem = issued.certificatePem;
  }
  const onRecord = userCertificateOf(certPem!);
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await o.users.get(BOOTSTRAP_ADMIN);
    const rec = found?.value;
    if (rec?.role === 'admin' && rec.certificates.some((c) => c.fingerprint === onRecord.fingerprint)) break;
    const certificates = withCertificate(rec, onRecord, now);
    const next: UserRecord = { name: BOOTSTRAP_ADMIN, role: 'admin', createdAt: rec?.createdAt ?? new Date(now).toISOString(), createdBy: rec?.createdBy ?? 'system:bootstrap', certificates };
    if (await o.users.put(BOOTSTRAP_ADMIN, next, found ? { version: found.version } : { createOnly: true })) break;
  }
  return files;
}
