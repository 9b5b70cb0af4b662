/**
 * Who is calling: the principal the transport edge verified (identity/), and the audit actor
 * derived from it. Nothing the caller merely says (no header) sets either.
 */
import { actorOf, ANONYMOUS, type Principal } from '../identity';

export interface CallContext {
  actor: string;
  /** Optional only until every edge authenticates (issue 12, in progress); then required. */
  principal?: Principal;
}

export function contextFor(principal: Principal): CallContext {
  return { actor: actorOf(principal), principal };
}

/** The controller's own loops act as `system:<name>`. */
export function systemContext(name: string): CallContext {
  return contextFor({ kind: 'system', name });
}

export const ANONYMOUS_CONTEXT: CallContext = contextFor(ANONYMOUS);

/** Until the edges authenticate: the old header-named actor (removed with issue 12). */
export const ACTOR_HEADER = 'x-hvs-actor';
const ACTOR = /^[A-Za-z0-9@._:/-]{1,128}$/;
export function callContext(value: unknown): CallContext {
  const v = Array.isArray(value) ? value[0] : value;
  return { actor: typeof v === 'string' && ACTOR.test(v) ? v : 'anonymous' };
}
