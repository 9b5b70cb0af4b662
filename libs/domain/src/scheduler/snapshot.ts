import type { Node } from '../kinds/node';
import type { VirtualMachine } from '../kinds/vm';
import { assignHostdevs, NODE_FILTERS, VM_FILTERS } from './filters';
import { DEFAULT_POOL, schedulingRequest } from './request';
import { SCORERS } from './scorers';
import type { NodeRejection, NodeUsage, NodeView, Placement, ScheduleResult, SchedulingRequest } from './types';

export const DEFAULT_CPU_OVERCOMMIT = 4;
export const DEFAULT_MEMORY_OVERCOMMIT = 1;

function emptyUsage(): NodeUsage {
  return { cpus: 0, memoryBytes: 0, hostdevs: new Map(), vms: new Map(), refusing: 0 };
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The scheduler's view of one node: everything that does not depend on the VM. */
export function nodeView(node: Node, usage: NodeUsage = emptyUsage()): NodeView {
  let unavailable: string | undefined;
  for (const f of NODE_FILTERS) {
    unavailable = f.check(node);
    if (unavailable !== undefined) break;
  }
  // allocatable (capacity minus what the host keeps for itself) when the agent reports it.
  const source = node.status?.allocatable ?? node.status?.capacity;
  const oc = node.spec.overcommit;
  return {
    name: node.metadata.name,
    labels: node.metadata.labels ?? {},
    ...(unavailable !== undefined ? { unavailable } : {}),
    cpuLimit: (source?.cpus ?? 0) * (oc?.cpu ?? DEFAULT_CPU_OVERCOMMIT),
    memoryLimit: (source?.memoryBytes ?? 0) * (oc?.memory ?? DEFAULT_MEMORY_OVERCOMMIT),
    // An agent that reports no pool list has only the default pool.
    pools: new Set(node.status?.pools ? node.status.pools.map((p) => p.name) : [DEFAULT_POOL]),
    devices: (node.status?.devices ?? []).map((d) => ({ pciAddress: d.pciAddress.toLowerCase(), vendorDevice: d.vendorDevice.toLowerCase() })),
    usage,
  };
}

/**
 * Nodes and placements at one point in time, indexed so one decision costs O(nodes) however
 * many VMs are placed. `add`/`remove` record decisions made from this snapshot (a batch), so
 * the next decision sees them; the binder still commits each one with compare-and-swap and
 * re-reads on conflict. Node names are unique (the store's keys); a later duplicate is ignored.
 */
export class ClusterSnapshot {
  /** Sorted by name: iteration order is the tie-break order. */
  private readonly views: NodeView[] = [];
  private readonly available: NodeView[];
  private readonly usageByNode = new Map<string, NodeUsage>();
  private readonly placements = new Map<string, Placement>();

  constructor(nodes: readonly Node[], placements: readonly Placement[] = []) {
    const seen = new Set<string>();
    for (const n of nodes) {
      if (seen.has(n.metadata.name)) continue;
      seen.add(n.metadata.name);
      this.views.push(nodeView(n, this.usageOf(n.metadata.name)));
    }
    this.views.sort(byName);
    this.available = this.views.filter((v) => v.unavailable === undefined);
    for (const p of placements) this.add(p);
  }

  /** Records `p` (replacing an earlier placement of the same VM). */
  add(p: Placement): void {
    this.remove(p.vm);
    this.placements.set(p.vm, p);
    const u = this.usageOf(p.node);
    u.cpus += p.cpus;
    u.memoryBytes += p.memoryBytes;
    for (const addr of p.hostdevs ?? []) u.hostdevs.set(addr.toLowerCase(), p.vm);
    u.vms.set(p.vm, p);
    if (p.antiAffinity && p.antiAffinity.length > 0) u.refusing++;
  }

  /** Forgets the placement of `vm`; false when it had none. */
  remove(vm: string): boolean {
    const p = this.placements.get(vm);
    if (!p) return false;
    this.placements.delete(vm);
    const u = this.usageOf(p.node);
    u.cpus -= p.cpus;
    u.memoryBytes -= p.memoryBytes;
    for (const addr of p.hostdevs ?? []) if (u.hostdevs.get(addr.toLowerCase()) === vm) u.hostdevs.delete(addr.toLowerCase());
    u.vms.delete(vm);
    if (p.antiAffinity && p.antiAffinity.length > 0) u.refusing--;
    return true;
  }

  placementOf(vm: string): Placement | undefined {
    return this.placements.get(vm);
  }

  usage(node: string): Readonly<NodeUsage> | undefined {
    return this.usageByNode.get(node);
  }

  node(name: string): Readonly<NodeView> | undefined {
    return this.views.find((v) => v.name === name);
  }

  /**
   * Picks the node for `vm` (see schedule()). A placement of `vm` itself in the snapshot is
   * not counted against any node and does not repel it, so rescheduling a bound VM works.
   */
  schedule(vm: VirtualMachine): ScheduleResult {
    const req = schedulingRequest(vm, this.placements.get(vm.metadata.name));
    const filters = VM_FILTERS.filter((f) => f.applies(req));
    const scorers = SCORERS.filter((s) => s.applies(req));
    let best: NodeView | undefined;
    let bestScore = -Infinity;
    const nf = filters.length;
    const ns = scorers.length;
    nodes: for (let i = 0; i < this.available.length; i++) {
      const node = this.available[i];
      for (let f = 0; f < nf; f++) if (!filters[f].passes(req, node)) continue nodes;
      let score = 0;
      for (let s = 0; s < ns; s++) score += scorers[s].score(req, node);
      // Strictly greater: on a tie the earlier (smaller) name stays.
      if (score > bestScore) {
        best = node;
        bestScore = score;
      }
    }
    if (best) {
      const devices = req.hostdevs.length > 0 ? assignHostdevs(req, best) : undefined;
      return { ok: true, node: best.name, score: Math.round(bestScore * 1000) / 1000, hostdevs: devices?.ok ? devices.addresses : [] };
    }
    return { ok: false, code: 'HVS-SCHED-UNSCHEDULABLE', reasons: this.explain(req, filters) };
  }

  private explain(req: SchedulingRequest, filters: readonly (typeof VM_FILTERS)[number][]): NodeRejection[] {
    return this.views.map((node) => {
      if (node.unavailable !== undefined) return { node: node.name, reason: node.unavailable };
      const failed = filters.find((f) => !f.passes(req, node));
      // Unreachable when called after no node passed; kept total so a reason is never missing.
      return { node: node.name, reason: failed ? failed.reason(req, node) : 'not chosen' };
    });
  }

  private usageOf(node: string): NodeUsage {
    let u = this.usageByNode.get(node);
    if (!u) {
      u = emptyUsage();
      this.usageByNode.set(node, u);
    }
    return u;
  }
}
