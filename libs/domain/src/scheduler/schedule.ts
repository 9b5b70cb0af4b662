import { HvsError } from '../errors';
import type { Node } from '../kinds/node';
import type { VirtualMachine } from '../kinds/vm';
import { ClusterSnapshot } from './snapshot';
import type { Placement, ScheduleResult, Unschedulable } from './types';

/**
 * Picks the node for `vm`, purely: filters (node Ready, not cordoned or in maintenance,
 * capacity reported, nodeSelector, CPU and memory after overcommit, hostdevs present and
 * free, storage pools present, required anti-affinity) then scores (spread or binpack,
 * preferred affinity, preferred anti-affinity), ties to the smallest node name. Same input,
 * same output, whatever the order of `nodes` and `placements`.
 *
 * Returns the node, or `HVS-SCHED-UNSCHEDULABLE` with one reason per node. Costs
 * O(nodes + placements); to place many VMs, build one `ClusterSnapshot` and `add` each decision.
 */
export function schedule(vm: VirtualMachine, nodes: readonly Node[], placements: readonly Placement[]): ScheduleResult {
  return new ClusterSnapshot(nodes, placements).schedule(vm);
}

/** `0/3 nodes can run the VM: host-b: 3.5 GiB free < 4 GiB requested; host-c: cordoned` */
export function formatUnschedulable(result: Unschedulable): string {
  const n = result.reasons.length;
  if (n === 0) return 'no nodes are registered';
  return `0/${n} node${n === 1 ? '' : 's'} can run the VM: ${result.reasons.map((r) => `${r.node}: ${r.reason}`).join('; ')}`;
}

/** The user-facing error for an unschedulable VM (API answers, Migration target checks). */
export function unschedulableError(vmName: string, result: Unschedulable): HvsError {
  const fix =
    result.reasons.length === 0
      ? 'start a node agent and join it to the cluster; pending VMs are then scheduled automatically'
      : 'free or add capacity, uncordon a node, or relax spec.placement (nodeSelector, antiAffinity); `hvctl get nodes` shows capacity and conditions';
  return new HvsError({
    code: result.code,
    category: 'FailedPrecondition',
    message: `VM ${vmName} fits on no node`,
    why: formatUnschedulable(result),
    fix,
    problems: result.reasons.map((r) => ({ code: result.code, path: `node/${r.node}`, message: r.reason, fix })),
  });
}
