import type { Prerequisite } from '../domains/domain-reconciler';
import type { ObservedState } from '../observed/observed-state';

/**
 * A VM stays Pending (NetworkNotReady) until every Network its NICs use reports ready on this
 * node. A Network that failed with a coded error passes that error on, so the VM says what to fix.
 */
export function networkPrerequisite(observed: Pick<ObservedState, 'network'>): Prerequisite {
  return async (_uid, vm) => {
    const waiting = [...new Set(vm.spec.networks.map((n) => n.network))].filter((n) => observed.network(n)?.ready !== true);
    if (waiting.length === 0) return undefined;
    const first = observed.network(waiting[0]!);
    const detail = first ? `${first.reason}: ${first.message}` : 'not realised yet';
    return {
      reason: 'NetworkNotReady',
      message: `waiting for network ${waiting.join(', ')} on this node (${waiting[0]}: ${detail})`,
      ...(first?.error ? { problem: first.error } : {}),
    };
  };
}
