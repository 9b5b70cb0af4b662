/**
 * What one node needs to know, and nothing more: the scope of its Assign. The Assign's content
 * hash covers exactly this scope, so a change outside it (another node's VM, a Network none of
 * this node's VMs uses, any kind the agent does not read yet) never re-sends this node's Assign.
 *
 * The rule, one line per kind (grow it here, with a test, when an agent feature starts to read
 * a kind; e.g. the firewall will add the FirewallPolicies that select this node's VMs and the
 * addresses of the VMs on other nodes that those rules name):
 * - VirtualMachine: bound to this node (status.node) and not being deleted (a deleting VM is
 *   left out so its agent cleans it up);
 * - Network: referenced by a NIC of one of those VMs (the agent renders NICs from it), or of a
 *   VM migrating TO this node (Migration Pending/Running with this target, or Succeeded while the
 *   VM informer still shows it in flight): the target realises it before the migration starts
 *   (migration/network-preflight.ts waits for that);
 * - reservations (IPAM, apps/controller/src/ipam): every reservation of those Networks,
 *   cluster-wide (the node's DNS answers for all, its DHCP serves its own: `local`);
 * - Secret: named by `spec.cloudInit.secretRefs` of one of those VMs (resolved into that VM's
 *   entry of the Assign only: assignment.ts); a missing one is left out (the VM's cloud-init
 *   seed then lacks it; the seed builder refuses a VM whose refs are not all resolved);
 * - Image: named by `disks[].image` or `cdrom.image` of one of those VMs (the agent caches and
 *   verifies it; each VM's entry carries the digest its copy must have: assignment.ts). Its status
 *   matters only through the pinned digest, which is part of the Assign's content;
 * - StoragePool, FirewallPolicy: none yet (no agent code reads them; the storage and firewall
 *   work adds them with their readers).
 * Pure and deterministic: sorted by name.
 */
import type { Image, Migration, Network, Secret, VirtualMachine } from '@hvs/domain';
import type { Reservation } from '../ipam/reservation-keys';

export interface ScopeSources {
  /** Every VM of the cluster (the dispatcher's informer view). */
  vms: readonly VirtualMachine[];
  networks: { get(name: string): Network | undefined };
  secrets?: { get(name: string): Secret | undefined };
  /** Migrations in flight: the Networks of VMs moving to this node are in its scope. */
  migrations?: readonly Migration[];
  /** VMs by name, to resolve a migrating VM (default: none). */
  allVms?: { get(name: string): VirtualMachine | undefined };
  reservations?: { ofNetwork(network: string): Reservation[] };
  images?: { get(name: string): Image | undefined };
}

export interface NodeScope {
  vms: VirtualMachine[];
  networks: Network[];
  /** The Secrets those VMs reference, by name. */
  secrets: Map<string, Secret>;
  /** Every reservation of those Networks, sorted (network, address, VM, NIC). */
  reservations: Reservation[];
  /** uids of VMs migrating to this node (their DHCP host entries are served here too), sorted. */
  incoming: string[];
  /** The Images those VMs use, by name. */
  images: Map<string, Image>;
}

const byName = <T extends { metadata: { name: string } }>(a: T, b: T) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);

export function scopeOf(node: string, from: ScopeSources): NodeScope {
  const vms = from.vms.filter((vm) => vm.status?.node === node && !vm.metadata.deletionTimestamp).sort(byName);
  const networks = new Map<string, Network>();
  const secrets = new Map<string, Secret>();
  const images = new Map<string, Image>();
  const addImages = (vm: VirtualMachine) => {
    for (const name of imagesOf(vm)) {
      const i = from.images?.get(name);
      if (i) images.set(name, i);
    }
  };
  for (const vm of vms) {
    addImages(vm);
    for (const nic of vm.spec.networks) {
      const n = from.networks.get(nic.network);
      if (n) networks.set(n.metadata.name, n);
    }
    for (const ref of vm.spec.cloudInit?.secretRefs ?? []) {
      const s = from.secrets?.get(ref);
      if (s) secrets.set(ref, s);
    }
  }
  const incoming = new Set<string>();
  for (const m of from.migrations ?? []) {
    const active = m.status?.phase === undefined || m.status.phase === 'Pending' || m.status.phase === 'Running';
    if ((m.status?.targetNode ?? m.spec.targetNode) !== node) continue;
    const vm = from.allVms?.get(m.spec.vm);
    // The Migration and its VM are written in one transaction but arrive through two informers:
    // a Succeeded Migration next to a VM still showing it in flight (status.migration, the old
    // node) is still moving here. Without this the target's Assign briefly lost the VM's DHCP
    // entry (and, were it the Network's only VM there, the Network) right after the move
    // (seen in test/system/vxlan-network.spec.ts).
    const landing = m.status?.phase === 'Succeeded' && vm?.status?.migration === m.metadata.name && vm.status.node !== node;
    if (!active && !landing) continue;
    if (vm?.metadata.uid) incoming.add(vm.metadata.uid);
    for (const nic of vm?.spec.networks ?? []) {
      const n = from.networks.get(nic.network);
      if (n) networks.set(n.metadata.name, n);
    }
    // The target caches the VM's images before it arrives (its disks are overlays on them).
    if (vm) addImages(vm);
  }
  const sorted = [...networks.values()].sort(byName);
  const reservations = sorted.flatMap((n) => from.reservations?.ofNetwork(n.metadata.name) ?? []);
  return { vms, networks: sorted, secrets, reservations, incoming: [...incoming].sort(), images };
}

/** The Images a VM names (disks, cdrom), sorted, once each. */
export function imagesOf(vm: VirtualMachine): string[] {
  const names = new Set<string>();
  for (const d of vm.spec.disks) if (d.image) names.add(d.image);
  if (vm.spec.cdrom?.image) names.add(vm.spec.cdrom.image);
  return [...names].sort();
}
