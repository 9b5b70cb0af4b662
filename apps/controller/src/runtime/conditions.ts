/**
 * Conditions the Kubernetes way: one entry per type; `lastTransitionTime` moves only when
 * `status` flips (a new reason or message alone keeps the time), so "since when is this VM
 * unschedulable" stays true however often the reconciler re-evaluates it.
 */
import type { Condition } from '@hvs/domain';

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

/** The conditions with `next` set; the input array is not modified. */
export function setCondition(conditions: readonly Condition[] | undefined, next: ConditionUpdate, nowIso: string): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const lastTransitionTime = prev && prev.status === next.status && prev.lastTransitionTime ? prev.lastTransitionTime : nowIso;
  const merged: Condition = { type: next.type, status: next.status, lastTransitionTime };
  if (next.reason !== undefined) merged.reason = next.reason;
  if (next.message !== undefined && next.message !== '') merged.message = truncate(next.message, 4096);
  if (next.observedGeneration !== undefined) merged.observedGeneration = next.observedGeneration;
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Conditions carry at most 4096 characters (the schema's limit); longer text is cut with a marker. */
function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 15)} ...(truncated)`;
}
