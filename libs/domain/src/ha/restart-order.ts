import type { VirtualMachine } from '../kinds/vm';

/** A VM the controller restarts on another host when its host is lost. */
export function isHaVm(vm: VirtualMachine): boolean {
  return vm.spec.ha?.restartPolicy === 'Always';
}

/** The VM's HA priority (0..1000, default 0; higher restarts first). */
export function haPriority(vm: VirtualMachine): number {
  return vm.spec.ha?.priority ?? 0;
}

/**
 * HA VMs in the order they are restarted (and placed, when capacity is short): higher
 * `spec.ha.priority` first, then by name. Non-HA VMs are left out. The input is not modified.
 */
export function haRestartOrder<T extends VirtualMachine>(vms: readonly T[]): T[] {
  return vms.filter(isHaVm).sort((a, b) => haPriority(b) - haPriority(a) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}
