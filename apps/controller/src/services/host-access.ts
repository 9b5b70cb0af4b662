/**
 * VMs that reach into the host need `vms.host-access` (admin only): host devices (PCI
 * passthrough), NICs on bridge-mode Networks (the host's own L2 segment), direct kernel boot
 * and explicit disk/cdrom paths (any file in a pool, another team's disk included). Operators
 * and scoped roles use images, pools and nat/isolated networks.
 */
import type { AnyResource, VirtualMachine } from '@hvs/domain';
import { authorize } from '../identity';
import type { ObjectStore } from '../store';
import { principalOf } from './access';
import type { CallContext } from './call-context';

/** Why this VM reaches into the host without looking at Networks; undefined when it does not. */
export function hostReach(vm: VirtualMachine): string | undefined {
  const s = vm.spec;
  if ((s.devices?.hostdevs?.length ?? 0) > 0) return 'it passes host devices through (spec.devices.hostdevs)';
  if (s.boot !== undefined) return 'it boots a kernel from a pool path (spec.boot)';
  const i = s.disks.findIndex((d) => d.path !== undefined);
  if (i >= 0) return `it names a file in a pool (spec.disks[${i}].path)`;
  if (s.cdrom?.path !== undefined) return 'it names a file in a pool (spec.cdrom.path)';
  return undefined;
}

export async function checkHostAccess(store: ObjectStore, resources: readonly AnyResource[], ctx: CallContext): Promise<void> {
  const p = principalOf(ctx);
  if (p.kind === 'system' || (p.kind === 'user' && p.role === 'admin')) return;
  const vms = resources.filter((r): r is VirtualMachine => r.kind === 'VirtualMachine');
  let bridged: Set<string> | undefined;
  for (const vm of vms) {
    let why = hostReach(vm);
    if (why === undefined && vm.spec.networks.length > 0) {
      bridged ??= new Set((await store.list('Network')).items.filter((n) => (n.spec as { mode?: string }).mode === 'bridge').map((n) => n.metadata.name));
      const nic = vm.spec.networks.find((n) => bridged!.has(n.network));
      if (nic) why = `its NIC ${nic.name} is on the bridge-mode Network ${nic.network}`;
    }
    if (why !== undefined) authorize(p, 'vms.host-access', `apply VirtualMachine/${vm.metadata.name}, because ${why}`, { labels: vm.metadata.labels ?? {} });
  }
}
