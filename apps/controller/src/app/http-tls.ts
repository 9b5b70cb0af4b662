/**
 * TLS on the HTTP port (servesTls: beyond loopback unless HVS_HTTP_TLS=on/off says otherwise).
 * The server is created with these options and no certificate; `serveCertificate` then sets
 * the one it presents: the operator's files (HVS_HTTP_TLS_CERT_FILE/KEY_FILE, for browsers,
 * which do not trust the cluster CA) or the cluster CA's server certificate, the one the gRPC
 * port presents, followed through its renewals (new handshakes get the new one, no restart).
 * No client certificate is requested: REST callers prove who they are with a bearer token in a
 * header (api/rest/authentication.ts), never with something a browser attaches on its own.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HttpsOptions } from '@nestjs/common/interfaces/external/https-options.interface';
import type { Server as TlsServer } from 'node:tls';
import type { ControllerConfig } from '../config';
import type { ClusterPki } from '../pki';

/** Node's defaults (TLS 1.2 and 1.3 only); the certificate comes from serveCertificate. */
export const HTTPS_SERVER_OPTIONS: HttpsOptions = {};

export interface ServedCertificate {
  /** DNS names and IPs the certificate carries (the Host check allows them by default). */
  names: string[];
  /** Stops following renewals. */
  stop(): void;
}

/** `DNS:a, IP Address:10.0.0.1` -> ['a', '10.0.0.1']. */
export function certificateNames(certPem: string): string[] {
  const san = new X509Certificate(certPem).subjectAltName ?? '';
  return san.split(',').map((s) => s.trim()).flatMap((s) => {
    const m = /^(DNS|IP Address):(.+)$/.exec(s);
    return m === null ? [] : [m[2].toLowerCase()];
  });
}

export function serveCertificate(server: TlsServer, config: ControllerConfig, pki: ClusterPki): ServedCertificate {
  if (config.httpTlsCertFile !== undefined && config.httpTlsKeyFile !== undefined) {
    // Read once at start (loadConfig checked them); replacing the files needs a restart.
    const cert = readFileSync(config.httpTlsCertFile, 'utf8');
    server.setSecureContext({ cert, key: readFileSync(config.httpTlsKeyFile, 'utf8') });
    return { names: certificateNames(cert), stop: () => undefined };
  }
  const material = pki.servingTls;
  const now = material.current;
  server.setSecureContext({ cert: now.certPem, key: now.keyPem });
  const onRenewal: Parameters<typeof material.addIdentityCertificateListener>[0] = (u) => u && server.setSecureContext({ cert: u.certificate, key: u.privateKey });
  material.addIdentityCertificateListener(onRenewal);
  return { names: certificateNames(now.certPem), stop: () => material.removeIdentityCertificateListener(onRenewal) };
}
