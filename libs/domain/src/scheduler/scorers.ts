/**
 * Scorers rank the nodes that passed every filter; the node with the highest total wins and
 * equal totals go to the first node name in byte order (deterministic, independent of the
 * order nodes were listed in). Each scorer is pure and sees the node as if the VM were
 * already on it.
 */
import type { NodeView, SchedulingRequest } from './types';
import { runsMatching } from './usage';

export interface Scorer {
  name: string;
  applies(req: SchedulingRequest): boolean;
  score(req: SchedulingRequest, node: NodeView): number;
}

function usedBySelf(req: SchedulingRequest, node: NodeView, field: 'cpus' | 'memoryBytes'): number {
  return req.self !== undefined && req.self.node === node.name ? req.self[field] : 0;
}

/**
 * The resource score, 0..100, from what would be left free after placing the VM: spread
 * rewards the mean free share of CPU and memory, binpack its complement. The snapshot's hot
 * loop calls this same function, so the scorers below and the loop cannot disagree.
 */
export function resourceScore(strategy: 'spread' | 'binpack', cpuFreeAfter: number, cpuLimit: number, memFreeAfter: number, memLimit: number): number {
  const cpu = cpuLimit > 0 ? Math.max(0, cpuFreeAfter) / cpuLimit : 0;
  const mem = memLimit > 0 ? Math.max(0, memFreeAfter) / memLimit : 0;
  const free = (cpu + mem) / 2;
  return strategy === 'spread' ? 100 * free : 100 * (1 - free);
}

function resourceScoreOf(req: SchedulingRequest, node: NodeView): number {
  const cpuFree = node.cpuLimit - (node.usage.cpus - usedBySelf(req, node, 'cpus')) - req.cpus;
  const memFree = node.memoryLimit - (node.usage.memoryBytes - usedBySelf(req, node, 'memoryBytes')) - req.memoryBytes;
  return resourceScore(req.strategy, cpuFree, node.cpuLimit, memFree, node.memoryLimit);
}

/** spread (default): prefer the node with the most room left, 0..100. */
export const spreadScorer: Scorer = {
  name: 'spread',
  applies: (req) => req.strategy === 'spread',
  score: resourceScoreOf,
};

/** binpack: prefer the fullest node that still fits, 0..100 (keeps whole nodes empty). */
export const binpackScorer: Scorer = {
  name: 'binpack',
  applies: (req) => req.strategy === 'binpack',
  score: resourceScoreOf,
};

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
      if (runsMatching(node.usage, t.selector, req.vm)) matched += t.weight;
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
    for (const sel of req.softAntiAffinity) if (runsMatching(node.usage, sel, req.vm)) hits++;
    return (-100 * hits) / req.softAntiAffinity.length;
  },
};

export const SCORERS: readonly Scorer[] = [spreadScorer, binpackScorer, affinityScorer, softAntiAffinityScorer];
