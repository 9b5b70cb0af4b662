/**
 * How identities are spelled inside certificates. One identity per certificate:
 *  - a node: subject `CN=node:<name>` and exactly one SAN, `DNS:<name>.node.hvs`;
 *  - the controller: subject `CN=hvs-controller` and the SAN `DNS:controller.hvs` (plus the
 *    DNS names and IPs it is reached at).
 * DNS SANs (not URI SANs) because TLS hostname verification checks them for free: whoever
 * dials node `n1` verifies against `n1.node.hvs` and so can only ever be answered by n1, and an
 * agent verifying `controller.hvs` can never be answered by a node (node names are DNS labels,
 * so `<name>.node.hvs` can never equal `controller.hvs`). The controller issues and checks
 * these names, the agent requests and checks them: both read this one file, and
 * docs/security.md is the contract.
 */
import { isName } from '@hvs/domain';
import type { X509Certificate } from 'node:crypto';

export const NODE_CN_PREFIX = 'node:';
/** A user's client certificate: subject `CN=user:<name>`, no SAN (it is never a server). */
export const USER_CN_PREFIX = 'user:';
export const NODE_DNS_SUFFIX = '.node.hvs';
export const CONTROLLER_CN = 'hvs-controller';
export const CONTROLLER_SERVER_NAME = 'controller.hvs';
export const CA_CN = 'hvs cluster CA';

export function nodeServerName(node: string): string {
  return `${node}${NODE_DNS_SUFFIX}`;
}

export type PeerIdentity = { kind: 'node'; node: string } | { kind: 'user'; user: string } | { kind: 'controller' };

/** The subject's CN of a parsed certificate (Node prints the subject as `CN=...` lines). */
export function commonNameOf(cert: X509Certificate): string | undefined {
  const lines = cert.subject.split('\n');
  const cn = lines.filter((l) => l.startsWith('CN='));
  return lines.length === 1 && cn.length === 1 ? cn[0]!.slice(3) : undefined;
}

/** SAN entries as printed by Node (`DNS:a, IP Address:1.2.3.4`); [] when absent. */
export function subjectAltNamesOf(cert: X509Certificate): string[] {
  return cert.subjectAltName ? cert.subjectAltName.split(', ') : [];
}

/**
 * Which identity a certificate carries, judged by its names only (chain and validity are the
 * caller's checks). A node certificate must agree in CN and its single SAN, so a certificate
 * with any extra name is no node's.
 */
export function identityOf(cert: X509Certificate): PeerIdentity | undefined {
  const cn = commonNameOf(cert);
  const sans = subjectAltNamesOf(cert);
  if (cn === CONTROLLER_CN && sans.includes(`DNS:${CONTROLLER_SERVER_NAME}`)) return { kind: 'controller' };
  if (cn !== undefined && cn.startsWith(USER_CN_PREFIX)) {
    const user = cn.slice(USER_CN_PREFIX.length);
    return isName(user) && sans.length === 0 ? { kind: 'user', user } : undefined;
  }
  if (cn === undefined || !cn.startsWith(NODE_CN_PREFIX)) return undefined;
  const node = cn.slice(NODE_CN_PREFIX.length);
  if (!isName(node)) return undefined;
  if (sans.length !== 1 || sans[0] !== `DNS:${nodeServerName(node)}`) return undefined;
  return { kind: 'node', node };
}
