/**
 * Checks the etcd TLS settings together (at start, so a wrong file fails now rather than as an
 * unexplained UNAVAILABLE later) and reads them into the etcd client's credentials. Guarantees:
 * no problem text ever contains a key's bytes; a key file readable by group or others is
 * refused; every endpoint is https:// when any TLS file is set (etcd3 would otherwise dial
 * some in plain text).
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Problem } from '@hvs/domain';

export interface EtcdTlsSettings {
  etcdEndpoints: readonly string[];
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
}

/** What the etcd3 client takes as `credentials`. */
export interface EtcdCredentials {
  rootCertificate: Buffer;
  certChain?: Buffer;
  privateKey?: Buffer;
}

const DOC = 'see docs/controller-config.md and docs/troubleshooting.md ("etcd refuses the controller")';

function problem(field: string, message: string, why: string, fix: string): Problem {
  return { code: `HVS-CONFIG-${field}-INVALID`, message, why, fix: `${fix}; ${DOC}` };
}

function readable(file: string): Buffer | string {
  try {
    return readFileSync(file);
  } catch (e) {
    return `it cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

/** Every problem of the combination; [] when unset or sound. */
export function etcdTlsProblems(s: EtcdTlsSettings): Problem[] {
  const { etcdCaFile: ca, etcdCertFile: cert, etcdKeyFile: key } = s;
  if (ca === undefined && cert === undefined && key === undefined) return [];
  const out: Problem[] = [];
  if ((cert === undefined) !== (key === undefined)) {
    const [set, missing, field] = cert === undefined ? ['HVS_ETCD_KEY_FILE', 'HVS_ETCD_CERT_FILE', 'ETCD-CERT-FILE'] : ['HVS_ETCD_CERT_FILE', 'HVS_ETCD_KEY_FILE', 'ETCD-KEY-FILE'];
    out.push(problem(field, `${set} is set but ${missing} is not`, 'a client certificate is only usable together with its private key', `set both (or neither)`));
  }
  if (ca === undefined) {
    out.push(problem('ETCD-CA-FILE', 'HVS_ETCD_CERT_FILE/HVS_ETCD_KEY_FILE are set but HVS_ETCD_CA_FILE is not',
      "the controller must know which CA signed etcd's server certificate to trust it", 'set HVS_ETCD_CA_FILE to that CA certificate (for `hvctl up`: <data dir>/etcd-tls/ca.crt)'));
  }
  const plain = s.etcdEndpoints.filter((e) => !e.startsWith('https://'));
  if (plain.length > 0) {
    out.push(problem('ETCD-ENDPOINTS', `HVS_ETCD_ENDPOINTS has plain http:// endpoints: ${plain.join(', ')}`,
      'etcd TLS files are set, so every endpoint must be https:// (a plain one would send requests unencrypted and without the certificate)',
      'write the endpoints as https://host:port'));
  }
  if (ca !== undefined) out.push(...certificateProblems(ca, 'ETCD-CA-FILE', 'HVS_ETCD_CA_FILE'));
  const certProblems = cert === undefined ? [] : certificateProblems(cert, 'ETCD-CERT-FILE', 'HVS_ETCD_CERT_FILE');
  out.push(...certProblems);
  if (key !== undefined) out.push(...keyProblems(key, certProblems.length === 0 ? cert : undefined));
  return out;
}

function certificateProblems(file: string, field: string, env: string): Problem[] {
  const data = readable(file);
  const fix = `point ${env} at a readable PEM certificate`;
  if (typeof data === 'string') return [problem(field, `${env} ${file} cannot be used`, data, `${fix}, and let the controller's user read it`)];
  try {
    new X509Certificate(data);
    return [];
  } catch {
    return [problem(field, `${env} ${file} cannot be used`, 'it is not a PEM X.509 certificate', fix)];
  }
}

/** The key's bytes never reach a message: only the file name and what is wrong with it. */
function keyProblems(file: string, certFile: string | undefined): Problem[] {
  const bad = (why: string, fix: string) => [problem('ETCD-KEY-FILE', `HVS_ETCD_KEY_FILE ${file} cannot be used`, why, fix)];
  const data = readable(file);
  if (typeof data === 'string') return bad(data, "let the controller's user read it (and nobody else: chmod 600)");
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) return bad(`it is readable by others (mode ${mode.toString(8).padStart(4, '0')}): a private key must be 0600`, `chmod 600 ${file}`);
  let pub: Buffer;
  try {
    pub = createPublicKey(createPrivateKey(data)).export({ type: 'spki', format: 'der' });
  } catch {
    return bad('it is not a PEM private key', 'point HVS_ETCD_KEY_FILE at the PEM key of HVS_ETCD_CERT_FILE');
  }
  if (certFile === undefined) return [];
  const certPub = new X509Certificate(readFileSync(certFile)).publicKey.export({ type: 'spki', format: 'der' });
  if (!pub.equals(certPub)) return bad(`it is not the key of the certificate ${certFile}`, 'point HVS_ETCD_CERT_FILE and HVS_ETCD_KEY_FILE at a matching pair');
  return [];
}

/** The client credentials, or undefined when no CA file is set. Call after etcdTlsProblems found none. */
export function readEtcdCredentials(s: EtcdTlsSettings): EtcdCredentials | undefined {
  if (s.etcdCaFile === undefined) return undefined;
  return {
    rootCertificate: readFileSync(s.etcdCaFile),
    ...(s.etcdCertFile !== undefined && s.etcdKeyFile !== undefined ? { certChain: readFileSync(s.etcdCertFile), privateKey: readFileSync(s.etcdKeyFile) } : {}),
  };
}
