/**
 * Cluster-wide label index of placements, so (anti-)affinity costs what matches rather than
 * O(nodes) per decision: which nodes run a VM with label k=v, and which placed VMs refuse
 * which labels (their own required anti-affinity, for the symmetric check).
 */
import { matchesSelector, selectorEntries } from './request';
import type { NodeUsage, Placement, SchedulingRequest, SelectorEntries } from './types';
import { runsMatching } from './usage';

type Refuser = { vm: string; node: string; selectors: SelectorEntries[] };

function bump<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

export class PlacementLabelIndex {
  /** label key -> value -> node -> VMs there carrying it. */
  private readonly nodesByLabel = new Map<string, Map<string, Map<string, number>>>();
  /** Refusers under the first entry (k, v) of each of their selectors. */
  private readonly refusersByEntry = new Map<string, Map<string, Map<string, Refuser>>>();
  /** Refusers with an empty selector: they refuse every VM. */
  private readonly refusersOfAll = new Map<string, Refuser>();

  add(p: Placement): void {
    for (const k in p.labels) {
      const byNode = bump(bump(this.nodesByLabel, k, () => new Map()), p.labels[k], () => new Map<string, number>());
      byNode.set(p.node, (byNode.get(p.node) ?? 0) + 1);
    }
    if (!p.antiAffinity?.length) return;
    const r: Refuser = { vm: p.vm, node: p.node, selectors: p.antiAffinity.map(selectorEntries) };
    for (const sel of r.selectors) {
      if (sel.length === 0) this.refusersOfAll.set(p.vm, r);
      else bump(bump(this.refusersByEntry, sel[0][0], () => new Map()), sel[0][1], () => new Map<string, Refuser>()).set(p.vm, r);
    }
  }

  remove(p: Placement): void {
    for (const k in p.labels) {
      const byNode = this.nodesByLabel.get(k)?.get(p.labels[k]);
      const n = byNode?.get(p.node) ?? 0;
      if (n <= 1) byNode?.delete(p.node);
      else byNode?.set(p.node, n - 1);
    }
    if (!p.antiAffinity?.length) return;
    this.refusersOfAll.delete(p.vm);
    for (const sel of p.antiAffinity.map(selectorEntries)) if (sel.length > 0) this.refusersByEntry.get(sel[0][0])?.get(sel[0][1])?.delete(p.vm);
  }

  /**
   * Nodes running a VM other than `self` that matches `selector` (the same answer as
   * `runsMatching` on each node's usage). An empty selector matches any VM.
   */
  nodesRunning(selector: SelectorEntries, self: string, usageOf: (node: string) => NodeUsage | undefined, allNodes: Iterable<string>): string[] {
    const out: string[] = [];
    const candidates = selector.length === 0 ? allNodes : (this.nodesByLabel.get(selector[0][0])?.get(selector[0][1])?.keys() ?? []);
    for (const node of candidates) {
      const u = usageOf(node);
      if (u && runsMatching(u, selector, self)) out.push(node);
    }
    return out;
  }

  /** Nodes where a placed VM's own required anti-affinity refuses `req` (symmetry). */
  nodesRefusing(req: SchedulingRequest): string[] {
    const out: string[] = [];
    const consider = (r: Refuser) => {
      if (r.vm !== req.vm && r.selectors.some((s) => matchesSelector(s, req.labels))) out.push(r.node);
    };
    for (const r of this.refusersOfAll.values()) consider(r);
    for (const k in req.labels) {
      const refusers = this.refusersByEntry.get(k)?.get(req.labels[k]);
      if (refusers) for (const r of refusers.values()) consider(r);
    }
    return out;
  }
}
