/** Call contexts for tests that call services directly: a verified user with a role (admin unless said). */
import type { Role } from '../../src/identity';
import { contextFor, type CallContext } from '../../src/services/call-context';

export function asUser(name = 'tester', role: Role = 'admin', scope?: string): CallContext {
  return contextFor({ kind: 'user', name, role, ...(scope ? { scope } : {}), via: 'token' });
}

/** A verified node (its own node-scoped calls only). */
export function asNode(node: string): CallContext {
  return contextFor({ kind: 'node', node });
}
