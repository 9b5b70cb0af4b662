/**
 * Who is calling the agent's gRPC server: the controller (may Assign, Watch, ...) or a peer
 * node (may only ask PeerCheck). grpc-js has already checked the chain against the cluster CA
 * (the agent's server requires client certificates); this re-checks it and reads the name.
 */
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { identityOf, peerCertificateOf, type PeerIdentity } from '@hvs/pki';

export function callerIdentity(
  call: { getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null },
  caPem: string,
  now: number = Date.now(),
): PeerIdentity | undefined {
  const raw = peerCertificateOf(call);
  if (raw === undefined) return undefined;
  try {
    const cert = new X509Certificate(raw);
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return undefined;
    if (now > new Date(cert.validTo).getTime()) return undefined;
    return identityOf(cert);
  } catch {
    return undefined;
  }
}
