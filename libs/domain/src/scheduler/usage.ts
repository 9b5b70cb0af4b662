/**
 * The per-node index of placements: totals, devices in use, and label counts, kept in step
 * by `addPlacement`/`removePlacement` so checks cost O(1) per node instead of a scan of its VMs.
 */
import { matchesSelector, selectorEntries } from './request';
import type { NodeUsage, Placement, SelectorEntries } from './types';

export function emptyUsage(): NodeUsage {
  return { cpus: 0, memoryBytes: 0, hostdevs: new Map(), vms: new Map(), labelCounts: new Map(), refusers: [] };
}

export function addPlacement(u: NodeUsage, p: Placement): void {
  u.cpus += p.cpus;
  u.memoryBytes += p.memoryBytes;
  for (const addr of p.hostdevs ?? []) u.hostdevs.set(addr.toLowerCase(), p.vm);
  u.vms.set(p.vm, p);
  for (const k in p.labels) {
    let byValue = u.labelCounts.get(k);
    if (!byValue) u.labelCounts.set(k, (byValue = new Map()));
    byValue.set(p.labels[k], (byValue.get(p.labels[k]) ?? 0) + 1);
  }
  if (p.antiAffinity && p.antiAffinity.length > 0) u.refusers.push({ vm: p.vm, selectors: p.antiAffinity.map(selectorEntries) });
}

export function removePlacement(u: NodeUsage, p: Placement): void {
  u.cpus -= p.cpus;
  u.memoryBytes -= p.memoryBytes;
  for (const addr of p.hostdevs ?? []) if (u.hostdevs.get(addr.toLowerCase()) === p.vm) u.hostdevs.delete(addr.toLowerCase());
  u.vms.delete(p.vm);
  for (const k in p.labels) {
    const byValue = u.labelCounts.get(k);
    const n = byValue?.get(p.labels[k]) ?? 0;
    if (n <= 1) byValue?.delete(p.labels[k]);
    else byValue?.set(p.labels[k], n - 1);
  }
  if (p.antiAffinity && p.antiAffinity.length > 0) u.refusers = u.refusers.filter((r) => r.vm !== p.vm);
}

/**
 * Whether a VM other than `self` on this node matches `selector`. The label counts rule most
 * nodes out (or in, for a one-label selector) without looking at any VM.
 */
export function runsMatching(u: NodeUsage, selector: SelectorEntries, self: string): boolean {
  if (selector.length === 0) return u.vms.size > (u.vms.has(self) ? 1 : 0);
  for (let i = 0; i < selector.length; i++) {
    if (!((u.labelCounts.get(selector[i][0])?.get(selector[i][1]) ?? 0) > 0)) return false;
  }
  if (selector.length === 1 && !u.vms.has(self)) return true;
  for (const p of u.vms.values()) if (p.vm !== self && matchesSelector(selector, p.labels)) return true;
  return false;
}

/** The first VM by name (other than `self`) matching `selector`, for reasons. */
export function firstMatching(u: NodeUsage, selector: SelectorEntries, self: string): string | undefined {
  let found: string | undefined;
  for (const p of u.vms.values()) {
    if (p.vm !== self && (found === undefined || p.vm < found) && matchesSelector(selector, p.labels)) found = p.vm;
  }
  return found;
}
