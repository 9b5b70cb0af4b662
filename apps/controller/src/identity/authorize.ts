/**
 * The permission check every service method makes (pure; the service layer calls it, so gRPC
 * and REST cannot differ). Anonymous callers are UNAUTHENTICATED; a node may only use
 * `node.self` about itself; a user needs the permission in its role and, when its role is
 * scoped to a label selector, the object's labels must match it.
 */
import { matchesLabelSelector, parseLabelSelector } from '@hvs/domain';
import { forbidden, unauthenticated } from './errors';
import { actorOf, type Principal } from './principal';
import { roleAllows, type Permission } from './roles';

export interface AccessTarget {
  /** The node a node-scoped call is about. */
  node?: string;
  /** The labels of the object acted on (checked against a scoped role). */
  labels?: Readonly<Record<string, string>>;
}

/** Throws HVS-AUTH-UNAUTHENTICATED / HVS-AUTH-FORBIDDEN; returns when `p` may do `what`. */
export function authorize(p: Principal, permission: Permission, what: string, target: AccessTarget = {}): void {
  switch (p.kind) {
    case 'system':
      return;
    case 'anonymous':
      throw unauthenticated(what, 'the call presented no client certificate and no bearer token, and only health checks and Join are open without one');
    case 'node':
      if (permission !== 'node.self') throw forbidden(what, actorOf(p), permission, 'a node certificate only lets a host make its own node\'s calls (register, heartbeat, renew its certificate)');
      if (target.node !== p.node) throw forbidden(what, actorOf(p), permission, `a node certificate may only speak for its own node ("${p.node}"), never for "${String(target.node).slice(0, 63)}"`);
      return;
    case 'user':
      if (!roleAllows(p.role, permission)) throw forbidden(what, actorOf(p), permission, `the role ${p.role} does not include ${permission}`);
      if (p.scope !== undefined && target.labels !== undefined && !inScope(p, target.labels)) {
        throw forbidden(what, actorOf(p), permission, `the role is scoped to objects labelled "${p.scope}" and this object is not`);
      }
      return;
  }
}

/** Whether `p` may see an object with these labels (unscoped principals see everything). */
export function inScope(p: Principal, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (p.kind !== 'user' || p.scope === undefined) return true;
  return matchesLabelSelector(parseLabelSelector(p.scope), labels);
}

/** Whether `p` holds `permission` at all (for "can I" answers and for hiding what a role cannot use). */
export function allows(p: Principal, permission: Permission): boolean {
  if (p.kind === 'system') return true;
  if (p.kind === 'node') return permission === 'node.self';
  if (p.kind === 'user') return roleAllows(p.role, permission);
  return false;
}
