import type { HostFacts as RenderFacts } from '@hvs/domain';
import type { NetworkRealisation } from '../state/assignment-store';

/** This host's part of the render facts: everything but the assignment's networks. */
export type HostRenderFacts = Omit<RenderFacts, 'networks'>;

/**
 * The facts one assignment renders with: the host's part plus the assignment's networks. Both
 * the Assign check (grpc/assign-request.ts) and the reconciler build them here, in one key
 * order, so equal facts give an equal factsKey and an XML rendered at Assign time is reused.
 */
export function assignmentFacts(host: HostRenderFacts, networks: Record<string, NetworkRealisation>): RenderFacts {
  return { ...host, networks };
}

/** Identifies the facts an XML was rendered for: a differing key means render again. */
export function factsKey(facts: RenderFacts): string {
  return JSON.stringify(facts);
}
