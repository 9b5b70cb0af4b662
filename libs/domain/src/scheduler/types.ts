/**
 * Inputs and outputs of the scheduler. A `Placement` is a VM already bound to a node (from
 * the store, or decided earlier in the same batch); the scheduler reads them, never writes.
 */

export interface Placement {
  vm: string;
  node: string;
  /** vCPUs (sockets * cores * threads). */
  cpus: number;
  memoryBytes: number;
  /** The VM's metadata.labels, for (anti-)affinity. */
  labels: Record<string, string>;
  /** PCI addresses of host devices passed through to the VM. */
  hostdevs?: string[];
  /**
   * The VM's own required anti-affinity selectors. Optional; when present, anti-affinity is
   * symmetric: a VM matching one of them is not placed next to this VM either.
   * `placementOf()` fills it.
   */
  antiAffinity?: Record<string, string>[];
}

export interface NodeRejection {
  node: string;
  /** Why the node cannot take the VM, without the node name: `3.5 GiB free < 4 GiB requested`. */
  reason: string;
}

export interface ScheduleSuccess {
  ok: true;
  node: string;
  /** Higher is better; only comparable between nodes for the same VM and snapshot. */
  score: number;
  /** PCI addresses chosen on `node` for the VM's hostdevs, in spec order (empty if none). */
  hostdevs: string[];
}

export interface Unschedulable {
  ok: false;
  code: 'HVS-SCHED-UNSCHEDULABLE';
  /** One reason per node, sorted by node name. Empty when there are no nodes at all. */
  reasons: NodeRejection[];
}

export type ScheduleResult = ScheduleSuccess | Unschedulable;

/** Equality selector: every key must be present with that value. */
export type SelectorEntries = readonly (readonly [string, string])[];

/** What one VM asks for, computed once per decision (see `schedulingRequest`). */
export interface SchedulingRequest {
  vm: string;
  labels: Record<string, string>;
  cpus: number;
  memoryBytes: number;
  nodeSelector: SelectorEntries;
  /** Lowercased; requests naming a pciAddress first, so vendor-only ones cannot take them. */
  hostdevs: { name: string; /** position in spec.devices.hostdevs */ index: number; pciAddress?: string; vendorDevice?: string }[];
  /** Pools the VM's disks (and cdrom) use, sorted, unique. */
  pools: string[];
  antiAffinity: SelectorEntries[];
  softAntiAffinity: SelectorEntries[];
  affinity: { selector: SelectorEntries; weight: number }[];
  strategy: 'spread' | 'binpack';
  /** The VM's own existing placement: ignored when counting usage (rescheduling). */
  self?: Placement;
}

/** Resources in use on one node, indexed from the placements. */
export interface NodeUsage {
  cpus: number;
  memoryBytes: number;
  /** PCI address -> VM using it. */
  hostdevs: Map<string, string>;
  /** VM name -> placement. */
  vms: Map<string, Placement>;
  /** label key -> value -> number of VMs here carrying it (answers most selectors in O(1)). */
  labelCounts: Map<string, Map<string, number>>;
  /** VMs here with their own required anti-affinity (for the symmetric check), precomputed. */
  refusers: { vm: string; selectors: SelectorEntries[] }[];
}

/** A node as the scheduler sees it: static facts computed once per snapshot. */
export interface NodeView {
  name: string;
  labels: Record<string, string>;
  /** Why the node takes no VM at all (not Ready, cordoned, ...); undefined when it can. */
  unavailable: string | undefined;
  /** vCPUs it may host: cpus * overcommit.cpu. */
  cpuLimit: number;
  /** Bytes it may host: memoryBytes * overcommit.memory. */
  memoryLimit: number;
  pools: ReadonlySet<string>;
  devices: readonly { pciAddress: string; vendorDevice: string }[];
  usage: NodeUsage;
}
