/**
 * A VM moves only to a node that has realised its Networks (docs/ha.md, docs/networking.md):
 * while Pending with a chosen target, the Migration names the target (status.targetNode), so the
 * dispatcher puts the VM's Networks into the target's Assign (dispatch/assignment-scope.ts); the
 * move starts once the target's agent reported each of them ready (Network status.nodes[]).
 * Addresses need nothing: reservations belong to the VM, not to a node.
 */
import type { VirtualMachine } from '@hvs/domain';

/** Whether `node` reported `network` ready. */
export type NetworkReadiness = (network: string, node: string) => boolean;

/** The VM's Networks the target has not realised yet (sorted, no duplicates). */
export function networksNotReady(vm: VirtualMachine, target: string, ready: NetworkReadiness): string[] {
  return [...new Set(vm.spec.networks.map((n) => n.network))].filter((n) => !ready(n, target)).sort();
}

export function waitingMessage(vm: string, target: string, networks: readonly string[]): string {
  return `waiting for Network${networks.length > 1 ? 's' : ''} ${networks.join(', ')} to be ready on ${target} before VM ${vm} moves there (the target realises them first; see \`hvctl get network ${networks[0]} -o yaml\`, status.nodes)`;
}
