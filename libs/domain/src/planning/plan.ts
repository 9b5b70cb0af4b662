/**
 * planObject / planBatch: what `apply` would change, computed from the stored object and
 * the document, with no I/O. Only what a person declares is compared: `spec`,
 * `metadata.labels` and `metadata.annotations`. Server-set fields (uid, resourceVersion,
 * generation, timestamps, finalizers) and `status` never count as changes.
 */
import { HvsError } from '../errors';
import { tryParseSize } from '../units';
import { diffValues, type LeafEquality, type RawChange } from './diff';
import { withSpecDefaults } from './defaults';
import { effectOf, strongestEffect } from './effects';
import type { ChangeEffect, FieldChange, ObjectPlan, PlanResource } from './types';

/** Paths whose values are secret: a plan shows that they changed, never what to. */
const SENSITIVE_SHAPES = new Set(['spec.cloudInit.userData', 'spec.cloudInit.networkConfig']);
/** Every value of a Secret (`spec.data.<key>`, or the whole map when it appears or goes). */
const isSensitive = (kind: string, shape: string) =>
  SENSITIVE_SHAPES.has(shape) || (kind === 'Secret' && (shape === 'spec.data' || shape.startsWith('spec.data.')));
export const SENSITIVE_MASK = '(sensitive)';

/** `2GiB` and `2048MiB` are the same size. */
const sameSize: LeafEquality = (shape, a, b) => {
  if (!shape.endsWith('.size')) return undefined;
  const x = tryParseSize(a);
  const y = tryParseSize(b);
  return x !== undefined && y !== undefined ? x === y : undefined;
};

/** The declared part of an object, the only part a plan compares. */
function declared(r: PlanResource): { metadata: { labels?: unknown; annotations?: unknown }; spec: unknown } {
  const d = withSpecDefaults(r);
  return { metadata: { labels: d.metadata.labels, annotations: d.metadata.annotations }, spec: d.spec };
}

function toFieldChange(kind: string, c: RawChange): FieldChange {
  const verdict = effectOf(kind, c);
  const out: FieldChange = { path: c.path, effect: verdict.effect };
  const sensitive = isSensitive(kind, c.shape);
  if (c.old !== undefined) out.old = sensitive ? SENSITIVE_MASK : c.old;
  if (c.new !== undefined) out.new = sensitive ? SENSITIVE_MASK : c.new;
  if (verdict.note !== undefined) out.note = verdict.note;
  if (sensitive) out.sensitive = true;
  return out;
}

/**
 * The plan for one object. `current` is the stored object (undefined: it does not exist
 * yet), `desired` the document being applied. Both are normalised with defaults first,
 * so leaving out a field that held its default is not a change.
 */
export function planObject(current: PlanResource | undefined, desired: PlanResource): ObjectPlan {
  const head = { kind: desired.kind, name: desired.metadata.name };
  if (current === undefined) return { ...head, action: 'create', changes: [] };
  const raw: RawChange[] = [];
  diffValues(declared(current), declared(desired), '', '', raw, sameSize);
  const changes = raw.map((c) => toFieldChange(desired.kind, c));
  return { ...head, action: changes.length === 0 ? 'unchanged' : 'update', changes };
}

/** The key `planBatch` looks current objects up by: `Kind/name` (e.g. `VirtualMachine/web-1`). */
export function planKey(r: { kind: string; metadata: { name: string } }): string {
  return `${r.kind}/${r.metadata.name}`;
}

/**
 * Plans every document of a batch, in the batch's order. `currents` maps `planKey` to the
 * stored object. A batch naming the same object twice is refused: which of the two would
 * win is not obvious to the person applying it.
 */
export function planBatch(currents: ReadonlyMap<string, PlanResource>, desired: readonly PlanResource[]): ObjectPlan[] {
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const d of desired) {
    const key = planKey(d);
    if (seen.has(key)) dupes.add(key);
    seen.add(key);
  }
  if (dupes.size > 0) {
    const names = [...dupes].join(', ');
    throw new HvsError({
      code: 'HVS-APPLY-DUPLICATE-OBJECT',
      category: 'InvalidArgument',
      message: `the batch names ${names} more than once`,
      why: 'each object may appear once in an apply; with two versions it is unclear which one is meant',
      fix: 'remove or merge the duplicate documents, then apply again',
    });
  }
  return desired.map((d) => planObject(currents.get(planKey(d)), d));
}

/** The strongest effect of a plan's changes (`none` for create/unchanged). */
export function planEffect(plan: ObjectPlan): ChangeEffect {
  return strongestEffect(plan.changes.map((c) => c.effect));
}

/** True when applying the plan only takes full effect after the VM restarts. */
export function needsRestart(plan: ObjectPlan): boolean {
  return plan.changes.some((c) => c.effect === 'restart');
}

/** True when the plan changes placement, so the VM may have to move to another node. */
export function mayNeedMigration(plan: ObjectPlan): boolean {
  return plan.changes.some((c) => c.effect === 'migration');
}

export interface PlanSummary {
  create: number;
  update: number;
  unchanged: number;
  restart: number;
  migration: number;
}

export function summarizePlans(plans: readonly ObjectPlan[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, unchanged: 0, restart: 0, migration: 0 };
  for (const p of plans) {
    s[p.action] += 1;
    if (needsRestart(p)) s.restart += 1;
    if (mayNeedMigration(p)) s.migration += 1;
  }
  return s;
}

/** True when applying would change anything (hvctl plan exits 2 then, like terraform). */
export function hasChanges(plans: readonly ObjectPlan[]): boolean {
  return plans.some((p) => p.action !== 'unchanged');
}
