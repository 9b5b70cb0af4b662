import type { VirtualMachine } from '../kinds/vm';
import { vcpuCount } from '../kinds/vm';
import { parseSize } from '../units';
import type { Placement, SchedulingRequest, SelectorEntries } from './types';

/** The pool a disk or cdrom uses when it names none. */
export const DEFAULT_POOL = 'default';

/** What a VM occupies on its node: vCPUs (sockets * cores * threads) and memory in bytes. */
export function vmResources(vm: VirtualMachine): { cpus: number; memoryBytes: number } {
  return { cpus: vcpuCount(vm.spec.cpu), memoryBytes: parseSize(vm.spec.memory.size) };
}

/** The placement that binding `vm` to `node` creates (what the binder records). */
export function placementOf(vm: VirtualMachine, node: string, hostdevs: string[] = []): Placement {
  const { cpus, memoryBytes } = vmResources(vm);
  const required = (vm.spec.placement?.antiAffinity ?? []).filter((t) => t.required !== false).map((t) => ({ ...t.labelSelector }));
  return {
    vm: vm.metadata.name,
    node,
    cpus,
    memoryBytes,
    labels: { ...(vm.metadata.labels ?? {}) },
    ...(hostdevs.length > 0 ? { hostdevs: [...hostdevs] } : {}),
    ...(required.length > 0 ? { antiAffinity: required } : {}),
  };
}

export function selectorEntries(selector: Record<string, string>): SelectorEntries {
  return Object.entries(selector).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Equality selector match; the empty selector matches everything (Kubernetes semantics). */
export function matchesSelector(selector: SelectorEntries, labels: Record<string, string>): boolean {
  for (const [k, v] of selector) if (labels[k] !== v) return false;
  return true;
}

export function formatSelector(selector: SelectorEntries): string {
  return selector.length === 0 ? '(any labels)' : selector.map(([k, v]) => `${k}=${v}`).join(',');
}

/** Everything the filters and scorers need from `vm`, computed once per decision. */
export function schedulingRequest(vm: VirtualMachine, self?: Placement): SchedulingRequest {
  const { cpus, memoryBytes } = vmResources(vm);
  const placement = vm.spec.placement ?? {};
  const pools = new Set<string>();
  for (const d of vm.spec.disks) pools.add(d.pool ?? DEFAULT_POOL);
  if (vm.spec.cdrom && (vm.spec.cdrom.image || vm.spec.cdrom.path || vm.spec.cdrom.pool)) pools.add(vm.spec.cdrom.pool ?? DEFAULT_POOL);
  const hostdevs = (vm.spec.devices?.hostdevs ?? []).map((h, index) => ({
    name: h.name,
    index,
    ...(h.pciAddress ? { pciAddress: h.pciAddress.toLowerCase() } : {}),
    ...(h.vendorDevice ? { vendorDevice: h.vendorDevice.toLowerCase() } : {}),
  }));
  const anti = placement.antiAffinity ?? [];
  return {
    vm: vm.metadata.name,
    labels: vm.metadata.labels ?? {},
    cpus,
    memoryBytes,
    nodeSelector: selectorEntries(placement.nodeSelector ?? {}),
    // Stable sort: address requests first, then vendor-only ones, each in spec order.
    hostdevs: [...hostdevs.filter((h) => h.pciAddress), ...hostdevs.filter((h) => !h.pciAddress)],
    pools: [...pools].sort(),
    antiAffinity: anti.filter((t) => t.required !== false).map((t) => selectorEntries(t.labelSelector)),
    softAntiAffinity: anti.filter((t) => t.required === false).map((t) => selectorEntries(t.labelSelector)),
    affinity: (placement.affinity ?? []).map((t) => ({ selector: selectorEntries(t.labelSelector), weight: t.weight ?? 1 })),
    strategy: placement.strategy ?? 'spread',
    ...(self ? { self } : {}),
  };
}
