/**
 * Who is calling. Until bearer tokens / mTLS identities land (DESIGN.md §6), the actor is
 * what the client says in `x-hvs-actor` (gRPC metadata or HTTP header), else `anonymous`:
 * good for an audit trail between cooperating users, not a security boundary.
 */
export interface CallContext {
  actor: string;
}

export const ACTOR_HEADER = 'x-hvs-actor';
export const ANONYMOUS = 'anonymous';
const ACTOR = /^[A-Za-z0-9@._:/-]{1,128}$/;

/** The actor named by a header value; anything missing or odd reads as anonymous. */
export function actorFrom(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' && ACTOR.test(v) ? v : ANONYMOUS;
}

export function callContext(headerValue: unknown): CallContext {
  return { actor: actorFrom(headerValue) };
}
