/**
 * Where the VMs of a node go when it is drained, decided before anything moves (pure). Each VM
 * on the node is checked for movability (decideMove), then placed by the scheduler over the
 * other nodes; every decision is recorded in the snapshot, so the next VM sees the capacity the
 * earlier ones took. Bigger VMs are placed first (they are the hardest to fit), then by name:
 * same input, same plan.
 */
import type { Migration } from '../kinds/migration';
import type { Node } from '../kinds/node';
import type { VirtualMachine } from '../kinds/vm';
import { formatUnschedulable } from '../scheduler/schedule';
import { ClusterSnapshot } from '../scheduler/snapshot';
import { placementOf, vmResources } from '../scheduler/request';
import type { Placement, ScheduleResult } from '../scheduler/types';
import { parseSize } from '../units';
import { linkBandwidth, MIGRATION_BANDWIDTH_ANNOTATION } from './bandwidth';
import { estimateMigration, type MigrationEstimate } from './estimate';
import { decideMove, type MigrationMode, type MoveContext } from './movability';
import { reservationsOf } from './reservation';

export type DrainAction = 'migrate' | 'reassign' | 'blocked';

export interface DrainPlanItem {
  vm: string;
  action: DrainAction;
  target?: string;
  mode?: MigrationMode;
  copyStorage?: boolean;
  /** Why the VM cannot move (blocked), one sentence. */
  reason?: string;
  code?: string;
  fix?: string;
  notes: string[];
  estimate?: MigrationEstimate;
}

export interface DrainPlan {
  node: string;
  items: DrainPlanItem[];
  movable: number;
  blocked: number;
}

export interface DrainInput {
  node: string;
  nodes: readonly Node[];
  /** Every VM in the cluster (placements of the others count against the targets). */
  vms: readonly VirtualMachine[];
  pools: MoveContext['pools'];
  /** Migrations in the cluster: those in flight hold capacity on their targets (reservation.ts). */
  migrations?: readonly Migration[];
  /** false: never copy disks (VMs with local disks are then blocked). */
  copyStorage?: boolean;
  /** Overrides the link bandwidth; default: the nodes' hvs.dev/migration-bandwidth annotations (else assumed). */
  bandwidthBps?: number;
}

/** Bound, not being deleted: what occupies a node. */
export function placementsOf(vms: readonly VirtualMachine[]): Placement[] {
  return vms.filter((v) => v.status?.node && !v.metadata.deletionTimestamp).map((v) => placementOf(v, v.status!.node!));
}

/**
 * What occupies the nodes for a placement decision: bound VMs plus the target reservations of
 * migrations in flight (leaving out the Migration named `except`, the one being decided).
 */
export function occupiedPlacements(vms: readonly VirtualMachine[], migrations: readonly Migration[] = [], except?: string): Placement[] {
  return [...placementsOf(vms), ...reservationsOf(migrations, vms, except)];
}

/**
 * Picks (target undefined) or checks (target given) the node `vm` moves to from `source`: the
 * scheduler over every node but the source, so capacity, selectors, devices and anti-affinity
 * all hold at the target. Unschedulable carries one reason per node.
 */
export function chooseTarget(vm: VirtualMachine, source: string, nodes: readonly Node[], placements: readonly Placement[], target?: string): ScheduleResult {
  if (target === source) return { ok: false, code: 'HVS-SCHED-UNSCHEDULABLE', reasons: [{ node: target, reason: 'is the node the VM runs on' }] };
  const candidates = nodes.filter((n) => n.metadata.name !== source && (target === undefined || n.metadata.name === target));
  if (target !== undefined && candidates.length === 0) return { ok: false, code: 'HVS-SCHED-UNSCHEDULABLE', reasons: [{ node: target, reason: 'no such node' }] };
  return new ClusterSnapshot(candidates, placements).schedule(vm);
}

/** Bytes of the named disks, from the spec sizes (0 for a disk without a size). */
export function diskBytes(vm: VirtualMachine, names: readonly string[]): number {
  return vm.spec.disks.filter((d) => names.includes(d.name)).reduce((s, d) => s + (d.size ? parseSize(d.size) : 0), 0);
}

export function planDrain(input: DrainInput): DrainPlan {
  const source = input.nodes.find((n) => n.metadata.name === input.node);
  const snapshot = new ClusterSnapshot(input.nodes.filter((n) => n.metadata.name !== input.node), occupiedPlacements(input.vms, input.migrations));
  const here = input.vms
    .filter((v) => v.status?.node === input.node && !v.metadata.deletionTimestamp)
    .sort((a, b) => vmResources(b).memoryBytes - vmResources(a).memoryBytes || (a.metadata.name < b.metadata.name ? -1 : 1));
  const items: DrainPlanItem[] = [];
  for (const vm of here) {
    const name = vm.metadata.name;
    const move = decideMove(vm, { source, pools: input.pools, copyStorage: input.copyStorage });
    if (!move.ok) {
      items.push({ vm: name, action: 'blocked', reason: move.reason, code: move.code, fix: move.fix, notes: [] });
      continue;
    }
    const placed = snapshot.schedule(vm);
    if (!placed.ok) {
      items.push({
        vm: name, action: 'blocked', code: 'HVS-MIGRATION-NO-TARGET', reason: `no capacity elsewhere: ${formatUnschedulable(placed)}`,
        fix: 'add or uncordon a node, free capacity, or relax spec.placement', notes: move.notes,
      });
      continue;
    }
    snapshot.add(placementOf(vm, placed.node, placed.hostdevs));
    const link = input.bandwidthBps === undefined ? linkBandwidth(source, input.nodes.find((n) => n.metadata.name === placed.node)) : { bytesPerSecond: input.bandwidthBps };
    const estimate = estimateMigration({
      mode: move.mode, memoryBytes: vmResources(vm).memoryBytes, running: move.running, bandwidthBps: link.bytesPerSecond,
      bandwidthAssumedWhy: `no ${MIGRATION_BANDWIDTH_ANNOTATION} annotation on ${input.node} or ${placed.node}`,
      dirtyRateAssumedWhy: 'a drain plan does not sample each VM', copiedDiskBytes: move.copyStorage ? diskBytes(vm, move.localDisks) : 0,
    });
    items.push({ vm: name, action: move.running ? 'migrate' : 'reassign', target: placed.node, mode: move.mode, copyStorage: move.copyStorage, notes: move.notes, estimate });
  }
  const blocked = items.filter((i) => i.action === 'blocked').length;
  return { node: input.node, items, movable: items.length - blocked, blocked };
}
