/**
 * What the dispatcher sends for a VM in the middle of an offline move (pure). While the
 * annotation `hvs.dev/migration-stop: <migration>@<source>` is set and the VM is still bound to
 * that source, the source's assignment says runState Stopped: the agent shuts the guest down
 * there. Once the Migration flips status.node to the target, the target's assignment carries
 * the user's runState again (it defines and starts the guest) and the source's no longer lists
 * the VM (its agent undefines it). The guest is therefore never started on the target before
 * the source reported it stopped.
 */
import type { Node, VirtualMachine } from '@hvs/domain';

export const OFFLINE_STOP_ANNOTATION = 'hvs.dev/migration-stop';
/** Node annotation: the libvirt URI other hosts reach this node's libvirtd at (live migration). */
export const MIGRATION_URI_ANNOTATION = 'hvs.dev/migration-uri';

export function offlineStopValue(migration: string, source: string): string {
  return `${migration}@${source}`;
}

/** The VM as its node's agent should get it. */
export function assignedView(vm: VirtualMachine): VirtualMachine {
  const hold = vm.metadata.annotations?.[OFFLINE_STOP_ANNOTATION];
  if (!hold || hold.slice(hold.lastIndexOf('@') + 1) !== vm.status?.node) return vm;
  return { ...vm, spec: { ...vm.spec, runState: 'Stopped' } };
}

/**
 * The libvirt URI the source's libvirtd dials for a peer-to-peer migration to `node`: the
 * node's `hvs.dev/migration-uri` annotation, else qemu+tcp on the host of its agent address.
 */
export function migrationUri(node: Node): string {
  const explicit = node.metadata.annotations?.[MIGRATION_URI_ANNOTATION];
  if (explicit) return explicit;
  const address = node.spec.address ?? node.metadata.name;
  const host = address.startsWith('[') ? address.slice(0, address.indexOf(']') + 1) : address.replace(/:[0-9]+$/, '');
  return `qemu+tcp://${host}/system`;
}
