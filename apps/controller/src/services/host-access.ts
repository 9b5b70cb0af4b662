/**
 * VMs that reach into the host need `vms.host-access` (admin only): host devices (PCI
 * passthrough), NICs on bridge-mode Networks (the host's own L2 segment), direct kernel boot
 * and explicit disk/cdrom paths (any file in a pool, another team's disk included). Operators
 * and scoped roles use images, pools and nat/isolated networks. Scoped roles also reference
 * only their own Secrets (checkSecretRefs).
 */
import type { AnyResource, VirtualMachine } from '@hvs/domain';
import { actorOf, authorize, forbidden, inScope } from '../identity';
import { readOptional } from './writes';
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

/**
 * A scoped role may reference only Secrets inside its scope from cloud-init (`secretRefs`): a
 * guest it controls could otherwise read another team's secret. Unscoped roles may reference
 * any Secret, as any workload of a Kubernetes namespace may mount its Secrets.
 */
export async function checkSecretRefs(store: ObjectStore, resources: readonly AnyResource[], ctx: CallContext): Promise<void> {
  const p = principalOf(ctx);
  if (p.kind !== 'user' || p.scope === undefined) return;
  for (const r of resources) {
    if (r.kind !== 'VirtualMachine') continue;
    for (const ref of (r as VirtualMachine).spec.cloudInit?.secretRefs ?? []) {
      const secret = await readOptional(store, 'Secret', ref);
      if (secret !== undefined && !inScope(p, secret.metadata.labels)) {
        throw forbidden(`apply VirtualMachine/${r.metadata.name}`, actorOf(p), 'secrets.reveal', `its cloud-init references the Secret ${ref}, which is outside the role's scope "${p.scope}" (the guest could read it)`);
      }
    }
  }
}
