/**
 * Who is calling, as the controller verified it (never as the caller claims it): the one input
 * to every permission check in the service layer (docs/security.md, docs/architecture/identity.md).
 *  - `user`: an operator or automation, verified by a client certificate of the cluster CA whose
 *    user record still lists it, or by a bearer token (API token or session) whose hash is on record;
 *    `role` and the optional label `scope` come from that record, never from the credential's text.
 *  - `node`: a host, verified by the node certificate on record for a node that still exists; it
 *    may only make its own node's calls (register, heartbeat, renew).
 *  - `anonymous`: no credential at all; only health, readiness, (configurable) metrics and Join
 *    (whose join token is the credential) serve it.
 */
import type { Role } from './roles';

export type CredentialKind = 'certificate' | 'token' | 'session';

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; name: string; role: Role; scope?: string; via: CredentialKind }
  /** fingerprint: of the certificate the node called with (a renewal keeps that one accepted until the new one is used). */
  | { kind: 'node'; node: string; fingerprint?: string }
  /** The controller's own loops (scheduler, HA, deletion...): never reachable from a request. */
  | { kind: 'system'; name: string };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** The audit actor of a principal: `user:alice`, `node:host-1`, `system:ha`, `anonymous`. */
export function actorOf(p: Principal): string {
  switch (p.kind) {
    case 'anonymous': return 'anonymous';
    case 'user': return `user:${p.name}`;
    case 'node': return `node:${p.node}`;
    case 'system': return `system:${p.name}`;
  }
}
