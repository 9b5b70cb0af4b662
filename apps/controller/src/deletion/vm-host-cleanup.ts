/**
 * The VM's clean-up check: its node's agent must confirm that the domain is undefined and the
 * volumes are removed (or kept, per that node's disk policy) before the VM leaves etcd. Agents
 * never write etcd; the dispatcher learns the confirmation from the agent's Watch stream and its
 * Assign answers (dispatch/cleanup-reports.ts) and this check reads it. A VM bound to no node
 * has nothing on any host.
 */
import { domainName, type Node, type VirtualMachine } from '@hvs/domain';
import type { Clock, RunnerHooks } from '@hvs/reconcile';
import type { EventSink } from '../events/event-recorder';
import { VM_HOST_CLEANUP } from '../runtime/finalizers';
import type { Informer } from '../runtime/informer';
import type { ObjectStore } from '../store/types';
import { DeletionReconciler, type CleanupCheck } from './deletion.reconciler';

/** What the agents confirmed (the dispatcher's CleanupReports). */
export interface CleanupConfirmations {
  isConfirmed(node: string, uid: string): boolean;
}

export interface VmHostCleanupDeps {
  nodes: { get(name: string): Node | undefined };
  /** Absent (no dispatcher runs): nothing is ever confirmed, bound VMs stay pending. */
  confirmations?: CleanupConfirmations;
}

export function vmHostCleanup(deps: VmHostCleanupDeps): CleanupCheck<VirtualMachine> {
  return {
    finalizer: VM_HOST_CLEANUP,
    check(vm) {
      const node = vm.status?.node;
      const uid = vm.metadata.uid ?? '';
      if (!node) return { done: true, message: 'bound to no node: nothing to clean up on any host' };
      if (vm.status?.migration) {
        // The migration loop aborts a deleted VM's move; until it ended, two hosts may hold the domain.
        return { done: false, reason: 'MigrationInProgress', message: `migration ${vm.status.migration} of this VM is being aborted; the clean-up on node ${node} follows once it ended` };
      }
      if (deps.confirmations?.isConfirmed(node, uid)) {
        return { done: true, message: `node ${node} confirmed the clean-up (domain undefined, volumes removed or kept per its disk policy)` };
      }
      const domain = domainName(uid);
      const force = `if the host is gone for good: hvctl delete vm ${vm.metadata.name} --force (docs/troubleshooting.md, "A deletion stays pending")`;
      const n = deps.nodes.get(node);
      if (!n) {
        return { done: false, reason: 'NodeGone', message: `node ${node} no longer exists, so no agent can confirm that domain ${domain} and its volumes are gone; ${force}` };
      }
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') {
        const why = ready ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}` : 'it has not reported yet';
        return { done: false, reason: 'NodeNotReady', message: `node ${node} is not Ready, ${why}: its agent removes domain ${domain} and its volumes when it is back; ${force}` };
      }
      return { done: false, reason: 'AwaitingNodeCleanup', message: `waiting for the agent on node ${node} to confirm domain ${domain} is undefined and its volumes are removed (or kept, per its disk policy)` };
    },
  };
}

export interface VmDeletionOptions {
  store: ObjectStore;
  vms: Informer<VirtualMachine>;
  nodes: Informer<Node>;
  confirmations?: CleanupConfirmations;
  clock?: Clock;
  hooks?: RunnerHooks<string>;
  events?: EventSink;
}

/** The VM deletion loop: the host clean-up check, re-run for a node's VMs whenever that Node changes. */
export function vmDeletionReconciler(o: VmDeletionOptions): DeletionReconciler<VirtualMachine> {
  return new DeletionReconciler<VirtualMachine>({
    kind: 'VirtualMachine', store: o.store, informer: o.vms, clock: o.clock, hooks: o.hooks, events: o.events,
    checks: [vmHostCleanup({ nodes: o.nodes, confirmations: o.confirmations })],
    triggers: [(enqueue) => o.nodes.subscribe((e) => enqueue((vm) => vm.status?.node === e.object.metadata.name))],
  });
}
