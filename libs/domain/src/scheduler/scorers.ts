/**
 * Scorers rank the nodes that passed every filter; the node with the highest total wins and
 * equal totals go to the first node name in byte order (deterministic, independent of the
 * order nodes were listed in). Each scorer is pure and sees the node as if the VM were
 * already on it.
 */
import { matchesSelector } from './request';
import type { NodeView, SchedulingRequest } from './types';

export interface Scorer {
  name: string;
  applies(req: SchedulingRequest): boolean;
  score(req: SchedulingRequest, node: NodeView): number;
}

function usedBySelf(req: SchedulingRequest, node: NodeView, field: 'cpus' | 'memoryBytes'): number {
  return req.self !== undefined && req.self.node === node.name ? req.self[field] : 0;
}

/** Mean fraction of CPU and memory left free after placing the VM, 0..1. */
export function freeFractionAfter(req: SchedulingRequest, node: NodeView): number {
  const cpuFree = node.cpuLimit - (node.usage.cpus - usedBySelf(req, node, 'cpus')) - req.cpus;
  const memFree = node.memoryLimit - (node.usage.memoryBytes - usedBySelf(req, node, 'memoryBytes')) - req.memoryBytes;
  const cpu = node.cpuLimit > 0 ? Math.max(0, cpuFree) / node.cpuLimit : 0;
  const mem = node.memoryLimit > 0 ? Math.max(0, memFree) / node.memoryLimit : 0;
  return (cpu + mem) / 2;
}

/** spread (default): prefer the node with the most room left, 0..100. */
export const spreadScorer: Scorer = {
  name: 'spread',
  applies: (req) => req.strategy === 'spread',
  score: (req, node) => 100 * freeFractionAfter(req, node),
};

/** binpack: prefer the fullest node that still fits, 0..100 (keeps whole nodes empty). */
export const binpackScorer: Scorer = {
  name: 'binpack',
  applies: (req) => req.strategy === 'binpack',
  score: (req, node) => 100 * (1 - freeFractionAfter(req, node)),
};

function runsMatching(req: SchedulingRequest, node: NodeView, selector: SchedulingRequest['affinity'][number]['selector']): boolean {
  for (const p of node.usage.vms.values()) if (p.vm !== req.vm && matchesSelector(selector, p.labels)) return true;
  return false;
}

/**
 * Preferred affinity, 0..100: the share of the VM's affinity weight whose selector matches
 * at least one VM already on the node. A full match weighs as much as the whole resource
 * score, so co-location wins over a slightly emptier node.
 */
export const affinityScorer: Scorer = {
  name: 'affinity',
  applies: (req) => req.affinity.length > 0,
  score(req, node) {
    let total = 0;
    let matched = 0;
    for (const t of req.affinity) {
      total += t.weight;
      if (runsMatching(req, node, t.selector)) matched += t.weight;
    }
    return total > 0 ? (100 * matched) / total : 0;
  },
};

/** Preferred (required: false) anti-affinity, -100..0: the share of those terms the node violates. */
export const softAntiAffinityScorer: Scorer = {
  name: 'soft-anti-affinity',
  applies: (req) => req.softAntiAffinity.length > 0,
  score(req, node) {
    let hits = 0;
    for (const sel of req.softAntiAffinity) if (runsMatching(req, node, sel)) hits++;
    return (-100 * hits) / req.softAntiAffinity.length;
  },
};

export const SCORERS: readonly Scorer[] = [spreadScorer, binpackScorer, affinityScorer, softAntiAffinityScorer];
