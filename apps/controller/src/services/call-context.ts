/**
 * Who is calling: the principal the transport edge verified (identity/), and the audit actor
 * derived from it. Nothing the caller merely says (no header) sets either.
 */
import { actorOf, ANONYMOUS, type Principal } from '../identity';

export interface CallContext {
  actor: string;
  principal: Principal;
}

export function contextFor(principal: Principal): CallContext {
  return { actor: actorOf(principal), principal };
}

/** The controller's own loops act as `system:<name>`. */
export function systemContext(name: string): CallContext {
  return contextFor({ kind: 'system', name });
}

export const ANONYMOUS_CONTEXT: CallContext = contextFor(ANONYMOUS);

