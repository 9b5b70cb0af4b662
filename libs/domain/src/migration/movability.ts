/**
 * Whether one VM can leave its node, and how (pure). A VM with a PCI passthrough device
 * cannot move at all (the device is this host's hardware). A running VM moves live (or
 * post-copy) when the source's hypervisor can migrate, copying its local disks unless told not
 * to; without that ability (libvirt's test driver) it moves offline: stopped, reassigned,
 * started on the target. A stopped VM only changes placement.
 */
import type { Node } from '../kinds/node';
import type { StoragePool } from '../kinds/storage';
import type { VirtualMachine } from '../kinds/vm';
import { DEFAULT_POOL } from '../scheduler/request';

export type MigrationMode = 'live' | 'postcopy' | 'offline';

export interface MoveContext {
  /** The VM's current node (its hypervisor mode says whether it can live-migrate). */
  source: Node | undefined;
  pools: { get(name: string): StoragePool | undefined };
  /** Asked for explicitly (a Migration's mode); undefined: the best the source can do. */
  mode?: MigrationMode;
  /** false: never copy disks; undefined: copy local disks when moving live. */
  copyStorage?: boolean;
}

export type MoveDecision =
  | { ok: true; mode: MigrationMode; copyStorage: boolean; running: boolean; localDisks: string[]; notes: string[] }
  | { ok: false; code: string; reason: string; fix: string };

/** Whether the node's hypervisor can live-migrate (libvirt's test driver cannot). */
export function canLiveMigrate(node: Node | undefined): boolean {
  return node?.status?.hypervisor?.mode !== 'test';
}

/** Disks (by name) on pools every node does not share: they live on the source host only. */
export function localDisks(vm: VirtualMachine, pools: MoveContext['pools']): string[] {
  return vm.spec.disks.filter((d) => pools.get(d.pool ?? DEFAULT_POOL)?.spec.shared !== true).map((d) => d.name);
}

export function decideMove(vm: VirtualMachine, ctx: MoveContext): MoveDecision {
  const hostdevs = vm.spec.devices?.hostdevs ?? [];
  if (hostdevs.length > 0) {
    const names = hostdevs.map((h) => `${h.name} (${h.pciAddress ?? h.vendorDevice ?? 'any'})`).join(', ');
    return {
      ok: false, code: 'HVS-MIGRATION-PASSTHROUGH',
      reason: `PCI passthrough device${hostdevs.length > 1 ? 's' : ''} ${names}: the device belongs to this host and its state cannot be migrated`,
      fix: 'stop the VM (hvctl stop) and start it elsewhere after removing the device, or leave it and drain with it stopped',
    };
  }
  const running = (vm.spec.runState ?? 'Running') === 'Running';
  const local = localDisks(vm, ctx.pools);
  const node = ctx.source?.metadata.name ?? 'its node';
  if (!running) {
    const notes = local.length > 0 ? [`stopped: only the placement moves; local disk${local.length > 1 ? 's' : ''} ${local.join(', ')} are not copied (offline disk copy is not supported yet)`] : ['stopped: only the placement moves'];
    return { ok: true, mode: 'offline', copyStorage: false, running, localDisks: local, notes };
  }
  const live = canLiveMigrate(ctx.source);
  let mode: MigrationMode = ctx.mode ?? (live ? 'live' : 'offline');
  const notes: string[] = [];
  if (mode !== 'offline' && !live) {
    if (ctx.mode !== undefined) {
      return {
        ok: false, code: 'HVS-MIGRATION-MODE-UNSUPPORTED',
        reason: `${node} runs libvirt's test driver, which cannot live-migrate`,
        fix: 'migrate with --mode offline (stop, move, start), or run the node agent on real libvirt/QEMU',
      };
    }
    mode = 'offline';
  }
  if (mode === 'offline') {
    if (!live) notes.push(`${node} cannot live-migrate (libvirt test driver): moved offline (stop, reassign, start)`);
    if (local.length > 0) notes.push(`offline moves do not copy local disks (${local.join(', ')}): the target starts with fresh disks; offline disk copy is out of scope`);
    return { ok: true, mode, copyStorage: false, running, localDisks: local, notes };
  }
  if (local.length > 0 && ctx.copyStorage === false) {
    return {
      ok: false, code: 'HVS-MIGRATION-LOCAL-DISK',
      reason: `local-only disk${local.length > 1 ? 's' : ''} ${local.join(', ')} (pool not shared) and copy-storage is off`,
      fix: 'allow copy-storage (the default), or move the disks to a shared StoragePool (spec.shared: true)',
    };
  }
  const copy = local.length > 0;
  if (copy) notes.push(`copies local disk${local.length > 1 ? 's' : ''} ${local.join(', ')} to the target (copy-storage)`);
  return { ok: true, mode, copyStorage: copy, running, localDisks: local, notes };
}
