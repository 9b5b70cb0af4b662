/**
 * First contact with a controller, before this host trusts anything: open a TLS connection
 * without verification, look at the chain the server presents, and accept a CA only if its
 * SHA-256 equals the hash pinned by the join token (kubeadm's discovery-token-ca-cert-hash).
 * Nothing secret is sent on this connection; it is closed right after the handshake. Every
 * later connection verifies the server fully against the CA found here.
 */
import * as tls from 'node:tls';
import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { fingerprintOf, identityOf } from '@hvs/pki';
import { caMismatch, controllerUnreachable } from './errors';

export interface DiscoveredCa {
  caPem: string;
  fingerprint: string;
}

export async function discoverClusterCa(address: string, pinnedFingerprint: string, timeoutMs = 10_000): Promise<DiscoveredCa> {
  const { host, port } = splitAddress(address);
  const chain = await new Promise<X509Certificate[]>((resolve, reject) => {
    const socket = tls.connect({
      host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'],
      ...(isIP(host) ? {} : { servername: host }),
    }, () => {
      const certs: X509Certificate[] = [];
      let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      while (c?.raw && certs.length < 8) {
        certs.push(new X509Certificate(c.raw));
        c = c.issuerCertificate === c ? undefined : c.issuerCertificate;
      }
      socket.destroy();
      resolve(certs);
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    socket.on('error', (e) => reject(controllerUnreachable(address, e.message)));
  });
  const pinned = pinnedFingerprint.toLowerCase();
  const ca = chain.find((c) => fingerprintOf(c) === pinned);
  const leaf = chain[0];
  // The pinned CA must have signed the certificate this server actually holds, and that
  // certificate must be the controller's (a node's certificate is from the same CA).
  if (!ca || !leaf || !ca.ca || !leaf.checkIssued(ca) || !leaf.verify(ca.publicKey) || identityOf(leaf)?.kind !== 'controller') {
    throw caMismatch(address, pinned, chain.map((c) => fingerprintOf(c)));
  }
  return { caPem: ca.toString(), fingerprint: pinned };
}

export function splitAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(address.trim());
  if (m === null) throw controllerUnreachable(address, 'the address is not host:port');
  return { host: (m[1] ?? m[2])!, port: Number(m[3]) };
}
