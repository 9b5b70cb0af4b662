/**
 * Target capacity held by migrations in flight (pure). While a Migration is Pending or Running
 * its VM is still bound to the source (status.node flips only when libvirt reports success),
 * so without a reservation the target looks free and a new VM could be placed there, leaving
 * the target overcommitted when the migration lands. A reservation is the VM's placement on the
 * target under its own key (`migration:<name>`: never a VM name, DNS labels have no colon), so
 * the VM counts on both nodes until the Migration ends. Guarantees:
 * - Succeeded: the reservation ends in the same transaction that binds the VM to the target,
 *   so the target is never counted twice and never counted zero times (a cache that has seen
 *   the Migration end before the VM's flip keeps the reservation until it sees the flip);
 * - Failed or deleted: the reservation ends and the target's capacity is free again;
 * - an offline move that has already flipped the VM to the target reserves nothing more.
 */
import type { Migration } from '../kinds/migration';
import type { VirtualMachine } from '../kinds/vm';
import { placementOf } from '../scheduler/request';
import type { Placement } from '../scheduler/types';

const RESERVATION_PREFIX = 'migration:';

/** The snapshot key of a Migration's reservation. */
export function reservationKey(migration: string): string {
  return `${RESERVATION_PREFIX}${migration}`;
}

export function isReservation(p: Placement): boolean {
  return p.vm.startsWith(RESERVATION_PREFIX);
}

/** Pending or Running (a Migration without a phase is Pending). */
export function migrationInFlight(m: Migration): boolean {
  const phase = m.status?.phase ?? 'Pending';
  return phase === 'Pending' || phase === 'Running';
}

/** Where the Migration lands: the target it was admitted with, else the one asked for; undefined when the scheduler has not picked yet. */
export function migrationTarget(m: Migration): string | undefined {
  return m.status?.targetNode ?? m.spec.targetNode;
}

/**
 * The capacity `m` holds on its target, or undefined when it holds none (ended, no target yet,
 * VM gone or being deleted, or the VM is already bound to the target).
 */
export function reservationOf(m: Migration, vm: VirtualMachine | undefined): Placement | undefined {
  const target = migrationTarget(m);
  // Succeeded but the VM (read from a cache that lags) still points at this Migration: it has
  // not been seen on the target yet, so keep holding the target until it has.
  const landing = m.status?.phase === 'Succeeded' && vm?.status?.migration === m.metadata.name;
  if (!target || !(migrationInFlight(m) || landing) || !vm || vm.metadata.deletionTimestamp) return undefined;
  if (vm.metadata.name !== m.spec.vm || vm.status?.node === target) return undefined;
  // No hostdevs: a VM with passthrough devices never migrates (decideMove refuses it).
  return { ...placementOf(vm, target), vm: reservationKey(m.metadata.name) };
}

/** Every reservation of `migrations` (VMs looked up by name), leaving out the Migration named `except`. */
export function reservationsOf(migrations: readonly Migration[], vms: readonly VirtualMachine[] | ReadonlyMap<string, VirtualMachine>, except?: string): Placement[] {
  const byName = vms instanceof Map ? vms : new Map((vms as readonly VirtualMachine[]).map((v) => [v.metadata.name, v]));
  const out: Placement[] = [];
  for (const m of migrations) {
    if (m.metadata.name === except) continue;
    const p = reservationOf(m, byName.get(m.spec.vm));
    if (p) out.push(p);
  }
  return out;
}
