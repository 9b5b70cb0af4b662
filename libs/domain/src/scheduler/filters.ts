/**
 * Feasibility filters (Nomad's feasibility checkers): each is a small pure check of one
 * node for one VM. The pipeline keeps a node only if every filter passes; the first filter
 * that fails gives the node's one rejection reason. `passes` is on the hot path (every node,
 * every decision) and allocates nothing; `reason` runs only to explain a rejection.
 */
import type { Node } from '../kinds/node';
import { formatBytesPair, formatCpus } from './format';
import { formatSelector, matchesSelector, selectorEntries } from './request';
import type { NodeView, Placement, SchedulingRequest } from './types';

export interface NodeFilter {
  name: string;
  /** A reason when the node can take no VM at all, else undefined. */
  check(node: Node): string | undefined;
}

export interface VmFilter {
  name: string;
  /** False when the VM asks nothing this filter checks (the filter is skipped). */
  applies(req: SchedulingRequest): boolean;
  passes(req: SchedulingRequest, node: NodeView): boolean;
  reason(req: SchedulingRequest, node: NodeView): string;
}

export const readyFilter: NodeFilter = {
  name: 'ready',
  check(node) {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (!ready) return 'not Ready (no Ready condition reported)';
    if (ready.status === 'True') return undefined;
    return `not Ready (${ready.status}${ready.reason ? `: ${ready.reason}` : ''})`;
  },
};

export const schedulableFilter: NodeFilter = {
  name: 'schedulable',
  check(node) {
    if (node.spec.cordoned) return 'cordoned';
    if (node.spec.maintenance) return 'in maintenance';
    return undefined;
  },
};

export const capacityReportedFilter: NodeFilter = {
  name: 'capacity-reported',
  check(node) {
    return node.status?.allocatable || node.status?.capacity ? undefined : 'no capacity reported';
  },
};

/** In pipeline order. */
export const NODE_FILTERS: readonly NodeFilter[] = [readyFilter, schedulableFilter, capacityReportedFilter];

/** Usage of `node` not counting the VM's own existing placement (rescheduling). */
function selfOn(req: SchedulingRequest, node: NodeView) {
  return req.self !== undefined && req.self.node === node.name ? req.self : undefined;
}

export const nodeSelectorFilter: VmFilter = {
  name: 'node-selector',
  applies: (req) => req.nodeSelector.length > 0,
  passes: (req, node) => matchesSelector(req.nodeSelector, node.labels),
  reason(req, node) {
    const missing = req.nodeSelector.filter(([k, v]) => node.labels[k] !== v);
    return `node selector ${formatSelector(missing)} does not match`;
  },
};

function freeCpus(req: SchedulingRequest, node: NodeView): number {
  return node.cpuLimit - (node.usage.cpus - (selfOn(req, node)?.cpus ?? 0));
}

function freeMemory(req: SchedulingRequest, node: NodeView): number {
  return node.memoryLimit - (node.usage.memoryBytes - (selfOn(req, node)?.memoryBytes ?? 0));
}

export const cpuFilter: VmFilter = {
  name: 'cpu',
  applies: () => true,
  passes: (req, node) => req.cpus <= freeCpus(req, node),
  reason: (req, node) => `${formatCpus(freeCpus(req, node))} vCPUs free < ${req.cpus} vCPUs requested`,
};

export const memoryFilter: VmFilter = {
  name: 'memory',
  applies: () => true,
  passes: (req, node) => req.memoryBytes <= freeMemory(req, node),
  reason(req, node) {
    const [free, requested] = formatBytesPair(freeMemory(req, node), req.memoryBytes);
    return `${free} free < ${requested} requested`;
  },
};

export type HostdevAssignment = { ok: true; addresses: string[] } | { ok: false; reason: string };

/**
 * Picks a free device on `node` for each requested hostdev: by PCI address when given (and
 * then its vendor:device must match too), else the lowest free address with that
 * vendor:device. A device is taken at most once.
 */
export function assignHostdevs(req: SchedulingRequest, node: NodeView): HostdevAssignment {
  const self = selfOn(req, node);
  const taken = new Set<string>();
  const addresses: string[] = new Array<string>(req.hostdevs.length);
  const user = (addr: string): string | undefined => {
    const vm = node.usage.hostdevs.get(addr);
    return vm === undefined || (self && vm === self.vm) ? undefined : vm;
  };
  for (const h of req.hostdevs) {
    if (h.pciAddress) {
      const dev = node.devices.find((d) => d.pciAddress === h.pciAddress);
      if (!dev) return { ok: false, reason: `device ${h.pciAddress} (${h.name}) not present` };
      if (h.vendorDevice && dev.vendorDevice !== h.vendorDevice) {
        return { ok: false, reason: `device ${h.pciAddress} (${h.name}) is ${dev.vendorDevice}, not ${h.vendorDevice}` };
      }
      const by = user(dev.pciAddress);
      if (by !== undefined) return { ok: false, reason: `device ${h.pciAddress} (${h.name}) in use by ${by}` };
      if (taken.has(dev.pciAddress)) return { ok: false, reason: `device ${h.pciAddress} requested twice` };
      taken.add(dev.pciAddress);
      addresses[h.index] = dev.pciAddress;
    } else if (h.vendorDevice) {
      const same = node.devices.filter((d) => d.vendorDevice === h.vendorDevice);
      const free = same.filter((d) => user(d.pciAddress) === undefined && !taken.has(d.pciAddress)).sort((a, b) => (a.pciAddress < b.pciAddress ? -1 : 1));
      if (free.length === 0) {
        const why = same.length === 0 ? 'none present' : `${same.length} present, all in use`;
        return { ok: false, reason: `no free device ${h.vendorDevice} for ${h.name} (${why})` };
      }
      taken.add(free[0].pciAddress);
      addresses[h.index] = free[0].pciAddress;
    } else {
      return { ok: false, reason: `hostdev ${h.name} names neither pciAddress nor vendorDevice` };
    }
  }
  return { ok: true, addresses };
}

export const hostdevFilter: VmFilter = {
  name: 'hostdevs',
  applies: (req) => req.hostdevs.length > 0,
  passes: (req, node) => assignHostdevs(req, node).ok,
  reason(req, node) {
    const a = assignHostdevs(req, node);
    return a.ok ? 'devices available' : a.reason;
  },
};

export const poolFilter: VmFilter = {
  name: 'pools',
  applies: (req) => req.pools.length > 0,
  passes(req, node) {
    for (const p of req.pools) if (!node.pools.has(p)) return false;
    return true;
  },
  reason(req, node) {
    const missing = req.pools.filter((p) => !node.pools.has(p));
    return missing.length === 1 ? `storage pool ${missing[0]} not present` : `storage pools ${missing.join(', ')} not present`;
  },
};

/**
 * The first VM on `node` (by name) that the request's required anti-affinity refuses, or
 * that refuses the request (symmetric, when placements carry their own rules).
 */
function antiAffinityConflict(req: SchedulingRequest, node: NodeView): string | undefined {
  let foundVm: string | undefined;
  let foundWhy = '';
  for (const p of node.usage.vms.values()) {
    if (p.vm === req.vm || (foundVm !== undefined && p.vm >= foundVm)) continue;
    const why = refusal(req, p);
    if (why !== undefined) {
      foundVm = p.vm;
      foundWhy = why;
    }
  }
  return foundVm === undefined ? undefined : `anti-affinity: ${foundWhy}`;
}

function refusal(req: SchedulingRequest, p: Placement): string | undefined {
  for (const sel of req.antiAffinity) {
    if (matchesSelector(sel, p.labels)) return `runs ${p.vm} with ${formatSelector(sel)}`;
  }
  for (const t of p.antiAffinity ?? []) {
    const sel = selectorEntries(t);
    if (matchesSelector(sel, req.labels)) return `runs ${p.vm}, which refuses ${formatSelector(sel)}`;
  }
  return undefined;
}

export const antiAffinityFilter: VmFilter = {
  name: 'anti-affinity',
  // Also on for VMs without rules when a placement on the node has its own (symmetry).
  applies: () => true,
  passes(req, node) {
    if (req.antiAffinity.length === 0 && node.usage.refusing === 0) return true;
    return antiAffinityConflict(req, node) === undefined;
  },
  reason: (req, node) => antiAffinityConflict(req, node) ?? 'anti-affinity satisfied',
};

/** In pipeline order: the first failing one names the node's reason. */
export const VM_FILTERS: readonly VmFilter[] = [nodeSelectorFilter, cpuFilter, memoryFilter, hostdevFilter, poolFilter, antiAffinityFilter];
