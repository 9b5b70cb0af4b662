/**
 * grpc-js credentials for mutual TLS inside the cluster, built on grpc-js's certificate
 * providers so a rotated certificate is picked up by the next handshake without restarting
 * servers or channels: call `TlsMaterial.update()` with the new pair.
 *
 * Server: presents its chain, trusts only the cluster CA for client certificates.
 *  - requireClientCert: true -> a client without a CA-signed certificate fails the handshake;
 *  - false -> the certificate is requested but optional (the controller's API port, where
 *    Join and bearer-token clients have none): every method that needs a node must then check
 *    `peerCertificateOf(call)` itself (the controller's `ClusterCa.verifyPeer`, the agent's
 *    `callerIdentity`). grpc-js exposes a peer certificate only when it verified against the
 *    CA (a foreign one looks like none); those checks repeat chain, validity and names anyway.
 * Client: trusts only the cluster CA and checks the server's name against `expectedServerName`
 * (`controller.hvs`, or `<node>.node.hvs` when dialling an agent), not the dialled address.
 */
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { experimental, type ChannelCredentials, type ChannelOptions, type ServerCredentials } from '@grpc/grpc-js';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export interface TlsPems {
  caPem: string;
  /** Leaf first; a server should append the CA so joining agents can pin it. */
  certPem: string;
  /** Secret: PKCS#8 PEM. */
  keyPem: string;
}

/** The CA and identity a process presents; a grpc-js CertificateProvider for both roles. */
export class TlsMaterial implements CertificateProvider {
  private pems: TlsPems;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(pems: TlsPems) {
    this.pems = { ...pems };
  }

  get current(): Readonly<TlsPems> {
    return this.pems;
  }

  /** New handshakes use the new material; established connections keep theirs. */
  update(pems: Partial<TlsPems>): void {
    this.pems = { ...this.pems, ...pems };
    for (const l of this.caListeners) l(this.caUpdate());
    for (const l of this.identityListeners) l(this.identityUpdate());
  }

  // The first value is delivered on a microtask: grpc-js's server subscribes before it
  // registers the watcher that applies updates, so a synchronous call would be lost.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => this.caListeners.has(listener) && listener(this.caUpdate()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => this.identityListeners.has(listener) && listener(this.identityUpdate()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  private caUpdate() {
    return { caCertificate: Buffer.from(this.pems.caPem) };
  }

  private identityUpdate() {
    return { certificate: Buffer.from(this.pems.certPem), privateKey: Buffer.from(this.pems.keyPem) };
  }
}

export function serverCredentialsFrom(material: TlsMaterial, options: { requireClientCert: boolean }): ServerCredentials {
  return experimental.createCertificateProviderServerCredentials(material, material, options.requireClientCert);
}

export function clientCredentialsFrom(material: TlsMaterial, options: { expectedServerName: string }): ChannelCredentials {
  return experimental.createCertificateProviderChannelCredentials(material, material, {
    checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(options.expectedServerName, cert),
  });
}

/** What a client needs to dial a cluster TLS server: its credentials and the channel options that go with them. */
export interface ClientTls {
  credentials: ChannelCredentials;
  options: ChannelOptions;
}

/**
 * Channel options for a client that verifies `expectedServerName`: the TLS server name (SNI) it
 * sends is that name, not the dialled host. Without them grpc-js sends the host, and Node 26
 * refuses an IP address there (`ERR_INVALID_ARG_VALUE`, DEP0123; Node 20-24 only warn), while
 * cluster addresses are IPs. Pass them with every client built on credentials from this file.
 */
export function serverNameOptions(expectedServerName: string): ChannelOptions {
  return { 'grpc.ssl_target_name_override': expectedServerName };
}

export function clientTlsFrom(material: TlsMaterial, options: { expectedServerName: string }): ClientTls {
  return { credentials: clientCredentialsFrom(material, options), options: serverNameOptions(options.expectedServerName) };
}

export function serverCredentials(caPem: string, certPem: string, keyPem: string, options: { requireClientCert: boolean }): ServerCredentials {
  return serverCredentialsFrom(new TlsMaterial({ caPem, certPem, keyPem }), options);
}

export function clientCredentials(caPem: string, certPem: string, keyPem: string, options: { expectedServerName: string }): ChannelCredentials {
  return clientCredentialsFrom(new TlsMaterial({ caPem, certPem, keyPem }), options);
}

/** The DER certificate a gRPC caller presented, if any (pass it to `ClusterCa.verifyPeer`). */
export function peerCertificateOf(call: { getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null }): Buffer | undefined {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  return raw && raw.length > 0 ? raw : undefined;
}
