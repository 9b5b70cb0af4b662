import type { Node } from '../kinds/node';
import type { VirtualMachine } from '../kinds/vm';
import { antiAffinityFilter, assignHostdevs, cpuFilter, memoryFilter, NODE_FILTERS, poolFilter, VM_FILTERS, type VmFilter } from './filters';
import { PlacementLabelIndex } from './label-index';
import { DEFAULT_POOL, schedulingRequest } from './request';
import { resourceScore } from './scorers';
import type { NodeRejection, NodeUsage, NodeView, Placement, ScheduleResult, SchedulingRequest } from './types';
import { addPlacement, emptyUsage, removePlacement } from './usage';

export const DEFAULT_CPU_OVERCOMMIT = 4;
export const DEFAULT_MEMORY_OVERCOMMIT = 1;

const ONLY_DEFAULT_POOL: ReadonlySet<string> = new Set([DEFAULT_POOL]);
const NO_DEVICES: NodeView['devices'] = [];

/** The scheduler's view of one node: everything that does not depend on the VM. */
export function nodeView(node: Node, usage: NodeUsage = emptyUsage()): NodeView {
  let unavailable: string | undefined;
  for (let i = 0; i < NODE_FILTERS.length && unavailable === undefined; i++) unavailable = NODE_FILTERS[i].check(node);
  // allocatable (capacity minus what the host keeps for itself) when the agent reports it.
  const source = node.status?.allocatable ?? node.status?.capacity;
  const oc = node.spec.overcommit;
  const pools = node.status?.pools;
  const devices = node.status?.devices;
  return {
    name: node.metadata.name,
    labels: node.metadata.labels ?? {},
    unavailable,
    cpuLimit: (source?.cpus ?? 0) * (oc?.cpu ?? DEFAULT_CPU_OVERCOMMIT),
    memoryLimit: (source?.memoryBytes ?? 0) * (oc?.memory ?? DEFAULT_MEMORY_OVERCOMMIT),
    // An agent that reports no pool list has only the default pool.
    pools: pools ? new Set(pools.map((p) => p.name)) : ONLY_DEFAULT_POOL,
    devices: devices?.length ? devices.map((d) => ({ pciAddress: d.pciAddress.toLowerCase(), vendorDevice: d.vendorDevice.toLowerCase() })) : NO_DEVICES,
    usage,
  };
}

/**
 * Nodes and placements at one point in time, indexed so one decision costs O(nodes) however
 * many VMs are placed. `add`/`remove` record decisions made from this snapshot (a batch), so
 * the next decision sees them; the binder still commits each one with compare-and-swap and
 * re-reads on conflict. Node names are unique (the store's keys); a later duplicate in the
 * constructor is ignored. Long-lived use: feed it watch events (`setNode`, `removeNode`,
 * `add`, `remove`) and it stays current without a rebuild per decision.
 *
 * Layout: CPU and memory of the available nodes sit in typed arrays (the hot loop reads
 * nothing else for most VMs); everything else is on the NodeView.
 */
export class ClusterSnapshot {
  private readonly nodes = new Map<string, Node>();
  /** Sorted by name: iteration order is the tie-break order. */
  private views: NodeView[] = [];
  /** The views that can take VMs at all, sorted by name; index i matches the arrays below. */
  private available: NodeView[] = [];
  private availableIndex = new Map<string, number>();
  private cpuLimit = new Float64Array(0);
  private memLimit = new Float64Array(0);
  private cpuUsed = new Float64Array(0);
  private memUsed = new Float64Array(0);
  /** Per-decision scratch, reset after each decision: refused by anti-affinity / affinity score. */
  private blocked = new Uint8Array(0);
  private bonus = new Float64Array(0);
  private allHaveDefaultPool = true;
  /** Set when nodes changed; the views and arrays are rebuilt (O(nodes)) before the next use. */
  private stale = true;
  private readonly labels = new PlacementLabelIndex();
  private readonly usageByNode = new Map<string, NodeUsage>();
  private readonly placements = new Map<string, Placement>();
  /** Placements (anywhere) carrying their own anti-affinity: when 0, the symmetric check is skipped. */
  private refusers = 0;

  constructor(nodes: readonly Node[] = [], placements: readonly Placement[] = []) {
    for (const n of nodes) if (!this.nodes.has(n.metadata.name)) this.nodes.set(n.metadata.name, n);
    for (const p of placements) this.add(p);
  }

  /**
   * Adds or replaces a node (a watch event). Costs O(nodes) once, at the next decision, so a
   * controller can keep one snapshot as its cache instead of rebuilding it per VM.
   */
  setNode(node: Node): void {
    this.nodes.set(node.metadata.name, node);
    this.stale = true;
  }

  /** Removes a node; its placements stay recorded (they still use the name) until removed. */
  removeNode(name: string): boolean {
    const had = this.nodes.delete(name);
    if (had) this.stale = true;
    return had;
  }

  private rebuild(): void {
    if (!this.stale) return;
    this.views = [...this.nodes.values()].map((n) => nodeView(n, this.usageOf(n.metadata.name)));
    this.views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.available = this.views.filter((v) => v.unavailable === undefined);
    const n = this.available.length;
    this.availableIndex = new Map();
    this.cpuLimit = new Float64Array(n);
    this.memLimit = new Float64Array(n);
    this.cpuUsed = new Float64Array(n);
    this.memUsed = new Float64Array(n);
    this.blocked = new Uint8Array(n);
    this.bonus = new Float64Array(n);
    this.available.forEach((v, i) => {
      this.availableIndex.set(v.name, i);
      this.cpuLimit[i] = v.cpuLimit;
      this.memLimit[i] = v.memoryLimit;
      this.cpuUsed[i] = v.usage.cpus;
      this.memUsed[i] = v.usage.memoryBytes;
    });
    this.allHaveDefaultPool = this.available.every((v) => v.pools.has(DEFAULT_POOL));
    this.stale = false;
  }

  /** Records `p` (replacing an earlier placement of the same VM). */
  add(p: Placement): void {
    this.remove(p.vm);
    this.placements.set(p.vm, p);
    addPlacement(this.usageOf(p.node), p);
    this.labels.add(p);
    this.shift(p, 1);
  }

  /** Forgets the placement of `vm`; false when it had none. */
  remove(vm: string): boolean {
    const p = this.placements.get(vm);
    if (!p) return false;
    this.placements.delete(vm);
    removePlacement(this.usageOf(p.node), p);
    this.labels.remove(p);
    this.shift(p, -1);
    return true;
  }

  placementOf(vm: string): Placement | undefined {
    return this.placements.get(vm);
  }

  usage(node: string): Readonly<NodeUsage> | undefined {
    return this.usageByNode.get(node);
  }

  node(name: string): Readonly<NodeView> | undefined {
    this.rebuild();
    return this.views.find((v) => v.name === name);
  }

  /**
   * Picks the node for `vm` (see schedule()). A placement of `vm` itself in the snapshot is
   * not counted against any node and does not repel it, so rescheduling a bound VM works.
   */
  schedule(vm: VirtualMachine): ScheduleResult {
    this.rebuild();
    const req = schedulingRequest(vm, this.placements.get(vm.metadata.name));
    const filters = VM_FILTERS.filter((f) => f.applies(req));
    const best = this.withoutSelf(req, () => this.best(req, filters));
    if (best) {
      const node = this.available[best.index];
      const devices = req.hostdevs.length > 0 ? assignHostdevs(req, node) : undefined;
      return { ok: true, node: node.name, score: Math.round(best.score * 1000) / 1000, hostdevs: devices?.ok ? devices.addresses : [] };
    }
    return { ok: false, code: 'HVS-SCHED-UNSCHEDULABLE', reasons: this.explain(req, filters) };
  }

  /**
   * The hot loop. CPU and memory are read inline from the arrays (the same arithmetic as
   * cpuFilter and memoryFilter); anti-affinity and the affinity scorers are answered up front
   * from the label index into `blocked` and `bonus` (only nodes that run matching VMs are
   * touched); the remaining filters run per node. Strictly greater wins, so on a tie the
   * earlier (smaller) name stays.
   */
  private best(req: SchedulingRequest, filters: readonly VmFilter[]): { index: number; score: number } | undefined {
    const { cpuLimit, memLimit, cpuUsed, memUsed, available, blocked, bonus } = this;
    const touched = this.prepareAffinity(req);
    const rest = filters.filter((f) => f !== cpuFilter && f !== memoryFilter && f !== antiAffinityFilter && this.mayReject(f, req));
    const cpus = req.cpus;
    const mem = req.memoryBytes;
    const nf = rest.length;
    let bestIndex = -1;
    let bestScore = -Infinity;
    try {
      nodes: for (let i = 0; i < available.length; i++) {
        const cpuFree = cpuLimit[i] - cpuUsed[i];
        if (cpus > cpuFree) continue;
        const memFree = memLimit[i] - memUsed[i];
        if (mem > memFree || blocked[i] !== 0) continue;
        for (let f = 0; f < nf; f++) if (!rest[f].passes(req, available[i])) continue nodes;
        const score = resourceScore(req.strategy, cpuFree - cpus, cpuLimit[i], memFree - mem, memLimit[i]) + bonus[i];
        if (score > bestScore) {
          bestIndex = i;
          bestScore = score;
        }
      }
    } finally {
      for (const i of touched) {
        blocked[i] = 0;
        bonus[i] = 0;
      }
    }
    return bestIndex < 0 ? undefined : { index: bestIndex, score: bestScore };
  }

  /**
   * Fills `blocked` (required anti-affinity, both ways) and `bonus` (affinityScorer and
   * softAntiAffinityScorer, same formulas) for the nodes concerned; returns their indexes.
   */
  private prepareAffinity(req: SchedulingRequest): number[] {
    const touched: number[] = [];
    const usageOf = (n: string) => this.usageByNode.get(n);
    const each = (nodes: string[], fn: (i: number) => void) => {
      for (const n of nodes) {
        const i = this.availableIndex.get(n);
        if (i !== undefined) {
          touched.push(i);
          fn(i);
        }
      }
    };
    for (const sel of req.antiAffinity) each(this.labels.nodesRunning(sel, req.vm, usageOf, this.usageByNode.keys()), (i) => (this.blocked[i] = 1));
    if (this.refusers > 0) each(this.labels.nodesRefusing(req), (i) => (this.blocked[i] = 1));
    const totalWeight = req.affinity.reduce((s, t) => s + t.weight, 0);
    for (const t of req.affinity) {
      if (totalWeight > 0) each(this.labels.nodesRunning(t.selector, req.vm, usageOf, this.usageByNode.keys()), (i) => (this.bonus[i] += (100 * t.weight) / totalWeight));
    }
    for (const sel of req.softAntiAffinity) {
      each(this.labels.nodesRunning(sel, req.vm, usageOf, this.usageByNode.keys()), (i) => (this.bonus[i] -= 100 / req.softAntiAffinity.length));
    }
    return touched;
  }

  /** Filters that cannot reject any available node for this request are left out of the loop. */
  private mayReject(f: VmFilter, req: SchedulingRequest): boolean {
    if (f === poolFilter) return !(this.allHaveDefaultPool && req.pools.length === 1 && req.pools[0] === DEFAULT_POOL);
    return true;
  }

  /** Runs `fn` with the VM's own placement taken out of the arrays (rescheduling), then restores it. */
  private withoutSelf<T>(req: SchedulingRequest, fn: () => T): T {
    const i = req.self ? this.availableIndex.get(req.self.node) : undefined;
    if (req.self === undefined || i === undefined) return fn();
    this.cpuUsed[i] -= req.self.cpus;
    this.memUsed[i] -= req.self.memoryBytes;
    try {
      return fn();
    } finally {
      this.cpuUsed[i] += req.self.cpus;
      this.memUsed[i] += req.self.memoryBytes;
    }
  }

  private explain(req: SchedulingRequest, filters: readonly VmFilter[]): NodeRejection[] {
    return this.views.map((node) => {
      if (node.unavailable !== undefined) return { node: node.name, reason: node.unavailable };
      const failed = filters.find((f) => !f.passes(req, node));
      // Unreachable when called after no node passed; kept total so a reason is never missing.
      return { node: node.name, reason: failed ? failed.reason(req, node) : 'not chosen' };
    });
  }

  private shift(p: Placement, sign: 1 | -1): void {
    // While stale the arrays are rebuilt from the usage totals anyway.
    const i = this.stale ? undefined : this.availableIndex.get(p.node);
    if (i !== undefined) {
      this.cpuUsed[i] += sign * p.cpus;
      this.memUsed[i] += sign * p.memoryBytes;
    }
    if (p.antiAffinity && p.antiAffinity.length > 0) this.refusers += sign;
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
