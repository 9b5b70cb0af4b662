/**
 * The HTTP edge's settings checked together, once each alone is valid: plain HTTP only on a
 * loopback address (anything else could be read or driven from the network); an operator's
 * certificate and key both or neither, readable, matching, unexpired, the key not readable by
 * others; the health listener not on the API's own address. Each problem is coded
 * (docs/controller-config.md says what to do about each).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import type { Problem } from '@hvs/domain';
import { formatListen, type HttpTlsMode, type ListenAddress } from './fields';

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`: addresses no other host can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, '');
  return h === 'localhost' || h === '::1' || (isIPv4(h) && h.startsWith('127.'));
}

/** Whether the HTTP port speaks TLS for these settings (auto: beyond loopback). */
export function servesTls(c: { httpTls: HttpTlsMode; httpListen: ListenAddress }): boolean {
  return c.httpTls === 'on' || (c.httpTls === 'auto' && !isLoopbackHost(c.httpListen.host));
}

const DOC = 'see docs/controller-config.md#the-http-port';

function problem(field: string, message: string, why: string, fix: string): Problem {
  return { code: `HVS-CONFIG-${field}`, message, why, fix: `${fix}; ${DOC}` };
}

function readPem(path: string, field: 'HTTP-TLS-CERT-FILE' | 'HTTP-TLS-KEY-FILE', env: string, problems: Problem[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    problems.push(problem(`${field}-INVALID`, `${env} ${path} cannot be read`, `opening it failed (${(e as NodeJS.ErrnoException).code ?? 'error'})`, `check the path and that the controller's user may read it`));
    return undefined;
  }
}

function certificateProblems(certFile: string, keyFile: string, now: number): Problem[] {
  const problems: Problem[] = [];
  const certPem = readPem(certFile, 'HTTP-TLS-CERT-FILE', 'HVS_HTTP_TLS_CERT_FILE', problems);
  const keyPem = readPem(keyFile, 'HTTP-TLS-KEY-FILE', 'HVS_HTTP_TLS_KEY_FILE', problems);
  if (keyPem !== undefined && (statSync(keyFile).mode & 0o007) !== 0) {
    problems.push(problem('HTTP-TLS-KEY-FILE-INVALID', `HVS_HTTP_TLS_KEY_FILE ${keyFile} is readable by other users`, 'a private key others can read is no longer private', `chmod 600 ${keyFile} (or 640 with a group only the controller is in)`));
  }
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  try {
    if (certPem !== undefined) cert = new X509Certificate(certPem);
  } catch {
    problems.push(problem('HTTP-TLS-CERT-FILE-INVALID', `HVS_HTTP_TLS_CERT_FILE ${certFile} holds no PEM certificate`, 'the file must start with the server certificate in PEM (-----BEGIN CERTIFICATE-----)', 'point it at the certificate (fullchain.pem for Let\'s Encrypt)'));
  }
  try {
    if (keyPem !== undefined) key = createPrivateKey(keyPem);
  } catch {
    problems.push(problem('HTTP-TLS-KEY-FILE-INVALID', `HVS_HTTP_TLS_KEY_FILE ${keyFile} holds no unencrypted PEM private key`, 'the controller reads the key at start and cannot ask for a passphrase', 'point it at the unencrypted key (privkey.pem for Let\'s Encrypt)'));
  }
  if (cert && key && !cert.checkPrivateKey(key)) {
    problems.push(problem('HTTP-TLS-KEY-FILE-INVALID', `HVS_HTTP_TLS_KEY_FILE ${keyFile} is not the key of ${certFile}`, 'the certificate names a different public key', 'use the key the certificate was issued for'));
  }
  if (cert && Date.parse(cert.validTo) <= now) {
    problems.push(problem('HTTP-TLS-CERT-FILE-INVALID', `HVS_HTTP_TLS_CERT_FILE ${certFile} expired on ${new Date(cert.validTo).toISOString()}`, 'clients refuse an expired certificate', 'renew it, then restart the controller'));
  }
  return problems;
}

/** The problems of the HTTP edge's settings (empty: fine). `values` holds what parsed; missing ones are skipped. */
export function httpEdgeProblems(values: Record<string, unknown>, now = Date.now()): Problem[] {
  const tls = values.httpTls as HttpTlsMode | undefined;
  const listen = values.httpListen as ListenAddress | undefined;
  const cert = values.httpTlsCertFile as string | undefined;
  const key = values.httpTlsKeyFile as string | undefined;
  const health = values.healthListen as ListenAddress | undefined;
  const problems: Problem[] = [];
  if (tls === 'off' && listen && !isLoopbackHost(listen.host)) {
    problems.push(problem('HTTP-TLS-REQUIRED', `HVS_HTTP_LISTEN ${formatListen(listen)} is not a loopback address and HVS_HTTP_TLS is off`,
      'plain HTTP beyond loopback lets anyone on the network read and change requests, credentials included',
      'leave HVS_HTTP_TLS unset (auto: TLS with the cluster certificate, or the one in HVS_HTTP_TLS_CERT_FILE/HVS_HTTP_TLS_KEY_FILE), or listen on 127.0.0.1'));
  }
  if ((cert === undefined) !== (key === undefined)) {
    const [missing, given] = cert === undefined ? ['HTTP-TLS-CERT-FILE', 'HVS_HTTP_TLS_KEY_FILE'] : ['HTTP-TLS-KEY-FILE', 'HVS_HTTP_TLS_CERT_FILE'];
    problems.push(problem(`${missing}-INVALID`, `${given} is set without HVS_${missing.replace(/-/g, '_')}`, 'a certificate is served with its key', `set both, or neither to serve the cluster CA's certificate`));
  } else if (cert !== undefined && key !== undefined) {
    if (tls === 'off') {
      problems.push(problem('HTTP-TLS-INVALID', 'HVS_HTTP_TLS is off but HVS_HTTP_TLS_CERT_FILE is set', 'the certificate would never be served', 'set HVS_HTTP_TLS to auto or on, or unset the certificate and key files'));
    }
    problems.push(...certificateProblems(cert, key, now));
  }
  if (health && listen && health.port !== 0 && health.port === listen.port && health.host === listen.host) {
    problems.push(problem('HEALTH-LISTEN-INVALID', `HVS_HEALTH_LISTEN ${formatListen(health)} is the HTTP API's own address`, 'the health listener is a second port', 'pick another port, or unset HVS_HEALTH_LISTEN to probe the API port'));
  }
  return problems;
}
