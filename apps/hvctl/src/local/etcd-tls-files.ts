/**
 * Where `hvctl up` keeps the TLS material of its etcd (made by etcd-tls.ts), and the etcd flags
 * and controller settings that point at it. Paths only: nothing here reads a key, so `status`
 * and `down` stay light. Secrets reach etcd and the controller as file paths, never as values
 * in argv or the environment.
 */
import * as path from 'node:path';

export interface EtcdTlsFiles {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** Presented by the controller and by hvctl's health probe. */
  clientCert: string;
  clientKey: string;
}

export function etcdTlsFiles(dataDir: string): EtcdTlsFiles {
  const dir = path.join(dataDir, 'etcd-tls');
  const f = (name: string) => path.join(dir, name);
  return {
    dir, caCert: f('ca.crt'), caKey: f('ca.key'), serverCert: f('server.crt'), serverKey: f('server.key'),
    clientCert: f('controller.crt'), clientKey: f('controller.key'),
  };
}

/** Client and peer ports serve TLS only and require a certificate from the local CA. */
export function etcdTlsArgs(f: EtcdTlsFiles): string[] {
  return [
    '--cert-file', f.serverCert, '--key-file', f.serverKey, '--trusted-ca-file', f.caCert, '--client-cert-auth',
    '--peer-cert-file', f.serverCert, '--peer-key-file', f.serverKey, '--peer-trusted-ca-file', f.caCert, '--peer-client-cert-auth',
  ];
}

/** The controller's settings for this etcd (docs/controller-config.md). */
export function controllerEtcdTlsEnv(f: EtcdTlsFiles): Record<string, string> {
  return { HVS_ETCD_CA_FILE: f.caCert, HVS_ETCD_CERT_FILE: f.clientCert, HVS_ETCD_KEY_FILE: f.clientKey };
}
