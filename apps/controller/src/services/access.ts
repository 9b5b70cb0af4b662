/**
 * The permission check at the top of every service method: `admit(ctx, 'VmService/Start', target)`
 * looks the method up in METHOD_PERMISSIONS and authorizes the verified principal, so what the
 * table declares is what both transports enforce. Scoped roles: `visible` filters what they may
 * see (reads of other objects answer NotFound, as if absent).
 */
import { ANONYMOUS, authorize, forbidden, inScope, unauthenticated, writePermissionOf, type AccessTarget, type Principal } from '../identity';
import type { ObjectStore } from '../store';
import { notFound } from '../store/errors';
import type { CallContext } from './call-context';
import { METHOD_PERMISSIONS, type ApiMethod } from './method-permissions';

export interface MethodTarget extends AccessTarget {
  /** The kind written (apply/delete), for 'kind-write' methods; also names the object in errors. */
  kind?: string;
  name?: string;
}

export function principalOf(ctx: CallContext): Principal {
  return ctx.principal ?? ANONYMOUS;
}

export function admit(ctx: CallContext, method: ApiMethod, target: MethodTarget = {}): void {
  const req = METHOD_PERMISSIONS[method];
  const p = principalOf(ctx);
  const what = target.kind ? `${method} on ${target.kind}${target.name ? `/${target.name}` : ''}` : method;
  if (req === 'join-token') return;
  if (req === 'self' || req === 'user-self') {
    if (p.kind === 'anonymous') throw unauthenticated(what, 'this call answers about the caller, and it presented no credential');
    if (req === 'user-self' && p.kind === 'node') throw forbidden(what, `node:${p.node}`, 'resources.read', 'sessions and tickets are for users; a node certificate only makes its own node\'s calls');
    return;
  }
  authorize(p, req === 'kind-write' ? writePermissionOf(target.kind ?? '') : req, what, target);
}

/** Whether the caller may see an object with these labels (a scoped role sees only its scope). */
export function visible(ctx: CallContext, labels: Readonly<Record<string, string>> | undefined): boolean {
  return inScope(principalOf(ctx), labels);
}

/** What a scoped caller gets for an object outside its scope: exactly the answer for a missing one. */
export const notVisible = notFound;

/**
 * For records that name an object (events, audit): whether a scoped caller may see the object
 * they are about, judged by its labels now (records of objects gone are hidden from scoped
 * callers). Undefined for unscoped callers: no lookups at all. One read per object per call.
 */
export function objectVisibility(store: Pick<ObjectStore, 'get'>, ctx: CallContext): ((kind: string, name: string) => Promise<boolean>) | undefined {
  const p = principalOf(ctx);
  if (p.kind !== 'user' || p.scope === undefined) return undefined;
  const seen = new Map<string, Promise<boolean>>();
  return (kind, name) => {
    const key = `${kind}/${name}`;
    let v = seen.get(key);
    if (v === undefined) {
      v = store.get(kind, name).then((o) => inScope(p, o.metadata.labels), () => false);
      seen.set(key, v);
    }
    return v;
  };
}
