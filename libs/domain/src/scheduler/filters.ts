/**
 * Feasibility filters (Nomad's feasibility checkers): each is a small pure check of one
 * node for one VM. The pipeline keeps a node only if every filter passes; the first filter
 * that fails gives the node's one rejection reason. `passes` is on the hot path (every node,
 * every decision) and allocates nothing; `reason` runs only to explain a rejection.
 */
import type { Node } from '../kinds/node';
import { formatBytesPair, formatCpus } from './format';
import { formatSelector, matchesSelector } from './request';
import type { NodeView, SchedulingRequest } from './types';
import { firstMatching, runsMatching } from './usage';

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
  // At most 16 requests (schema limit): a small array beats a Set and allocates less.
  const addresses: string[] = new Array<string>(req.hostdevs.length);
  const taken: string[] = [];
  const usedBy = (addr: string): string | undefined => {
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
      const by = usedBy(dev.pciAddress);
      if (by !== undefined) return { ok: false, reason: `device ${h.pciAddress} (${h.name}) in use by ${by}` };
      if (taken.includes(dev.pciAddress)) return { ok: false, reason: `device ${h.pciAddress} requested twice` };
      taken.push(dev.pciAddress);
      addresses[h.index] = dev.pciAddress;
    } else if (h.vendorDevice) {
      let lowest: string | undefined;
      let present = 0;
      for (const d of node.devices) {
        if (d.vendorDevice !== h.vendorDevice) continue;
        present++;
        if ((lowest === undefined || d.pciAddress < lowest) && usedBy(d.pciAddress) === undefined && !taken.includes(d.pciAddress)) lowest = d.pciAddress;
      }
      if (lowest === undefined) {
        const why = present === 0 ? 'none present' : `${present} present, all in use`;
        return { ok: false, reason: `no free device ${h.vendorDevice} for ${h.name} (${why})` };
      }
      taken.push(lowest);
      addresses[h.index] = lowest;
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

/** Whether the request may share `node` with the VMs on it (required anti-affinity, both ways). */
export function antiAffinityAllows(req: SchedulingRequest, node: NodeView): boolean {
  const u = node.usage;
  for (let i = 0; i < req.antiAffinity.length; i++) if (runsMatching(u, req.antiAffinity[i], req.vm)) return false;
  for (let i = 0; i < u.refusers.length; i++) {
    const r = u.refusers[i];
    if (r.vm === req.vm) continue;
    for (const sel of r.selectors) if (matchesSelector(sel, req.labels)) return false;
  }
  return true;
}

/** Names the conflicting VM that comes first by name, so the reason is deterministic. */
function antiAffinityReason(req: SchedulingRequest, node: NodeView): string {
  let best: { vm: string; why: string } | undefined;
  for (const sel of req.antiAffinity) {
    const vm = firstMatching(node.usage, sel, req.vm);
    if (vm !== undefined && (!best || vm < best.vm)) best = { vm, why: `runs ${vm} with ${formatSelector(sel)}` };
  }
  for (const r of node.usage.refusers) {
    if (r.vm === req.vm || (best && r.vm >= best.vm)) continue;
    const sel = r.selectors.find((s) => matchesSelector(s, req.labels));
    if (sel) best = { vm: r.vm, why: `runs ${r.vm}, which refuses ${formatSelector(sel)}` };
  }
  return best ? `anti-affinity: ${best.why}` : 'anti-affinity satisfied';
}

export const antiAffinityFilter: VmFilter = {
  name: 'anti-affinity',
  // Also on for VMs without rules: a placement on the node may refuse them (symmetry).
  applies: () => true,
  passes: antiAffinityAllows,
  reason: antiAffinityReason,
};

/** In pipeline order: the first failing one names the node's reason. */
export const VM_FILTERS: readonly VmFilter[] = [nodeSelectorFilter, cpuFilter, memoryFilter, hostdevFilter, poolFilter, antiAffinityFilter];
