/**
 * How identities are spelled in cluster certificates: the agent's copy of
 * apps/controller/src/pki/names.ts (apps do not import each other; docs/security.md is the
 * contract). A node: `CN=node:<name>` + the single SAN `DNS:<name>.node.hvs`; the controller:
 * `CN=hvs-controller` + `DNS:controller.hvs`.
 */
import { isName } from '@hvs/domain';
import type { X509Certificate } from 'node:crypto';

export const NODE_CN_PREFIX = 'node:';
export const NODE_DNS_SUFFIX = '.node.hvs';
export const CONTROLLER_CN = 'hvs-controller';
export const CONTROLLER_SERVER_NAME = 'controller.hvs';

export function nodeServerName(node: string): string {
  return `${node}${NODE_DNS_SUFFIX}`;
}

export type PeerIdentity = { kind: 'node'; node: string } | { kind: 'controller' };

export function identityOf(cert: X509Certificate): PeerIdentity | undefined {
  const lines = cert.subject.split('\n');
  const cn = lines.length === 1 && lines[0]!.startsWith('CN=') ? lines[0]!.slice(3) : undefined;
  const sans = cert.subjectAltName ? cert.subjectAltName.split(', ') : [];
  if (cn === CONTROLLER_CN && sans.includes(`DNS:${CONTROLLER_SERVER_NAME}`)) return { kind: 'controller' };
  if (cn === undefined || !cn.startsWith(NODE_CN_PREFIX)) return undefined;
  const node = cn.slice(NODE_CN_PREFIX.length);
  if (!isName(node) || sans.length !== 1 || sans[0] !== `DNS:${nodeServerName(node)}`) return undefined;
  return { kind: 'node', node };
}
