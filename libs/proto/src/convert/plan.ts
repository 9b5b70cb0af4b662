import type { ChangeEffect, FieldChange, ObjectPlan, PlanAction } from '@hvs/domain';
import {
  ChangeEffect as PbEffect, PlanAction as PbAction,
  type FieldChange as PbFieldChange, type ObjectPlan as PbObjectPlan,
} from '../gen/hvs/v1/resource.js';

const EFFECT_TO_PB: Record<ChangeEffect, PbEffect> = {
  none: PbEffect.NONE, hotplug: PbEffect.HOTPLUG, migration: PbEffect.MIGRATION, restart: PbEffect.RESTART,
};
const EFFECT_ORDER: ChangeEffect[] = ['none', 'hotplug', 'migration', 'restart'];

/** Plan actions on the wire: the domain's three plus `delete` (objects pruned by apply --prune). */
export type WirePlanAction = PlanAction | 'delete';
const ACTION_TO_PB: Record<WirePlanAction, PbAction> = {
  create: PbAction.CREATE, update: PbAction.UPDATE, unchanged: PbAction.UNCHANGED, delete: PbAction.DELETE,
};

export function effectToProto(e: ChangeEffect): PbEffect {
  return EFFECT_TO_PB[e];
}

/** UNSPECIFIED or a value from a newer server reads as `restart`: the cautious guess. */
export function effectFromProto(e: PbEffect): ChangeEffect {
  return EFFECT_ORDER.find((k) => EFFECT_TO_PB[k] === e) ?? 'restart';
}

export function toProtoFieldChange(c: FieldChange): PbFieldChange {
  return {
    path: c.path,
    oldJson: c.old === undefined ? '' : JSON.stringify(c.old),
    newJson: c.new === undefined ? '' : JSON.stringify(c.new),
    effect: EFFECT_TO_PB[c.effect],
    note: c.note ?? '',
    sensitive: c.sensitive === true,
  };
}

export function fromProtoFieldChange(c: PbFieldChange): FieldChange {
  const out: FieldChange = { path: c.path, effect: effectFromProto(c.effect) };
  if (c.oldJson !== '') out.old = JSON.parse(c.oldJson);
  if (c.newJson !== '') out.new = JSON.parse(c.newJson);
  if (c.note !== '') out.note = c.note;
  if (c.sensitive) out.sensitive = true;
  return out;
}

/** The plan's effect on the wire is the strongest of its changes (none when it has none). */
export function toProtoPlan(p: ObjectPlan | (Omit<ObjectPlan, 'action'> & { action: WirePlanAction })): PbObjectPlan {
  const strongest = p.changes.reduce<ChangeEffect>((acc, c) => (EFFECT_ORDER.indexOf(c.effect) > EFFECT_ORDER.indexOf(acc) ? c.effect : acc), 'none');
  return { kind: p.kind, name: p.name, action: ACTION_TO_PB[p.action], changes: p.changes.map(toProtoFieldChange), effect: EFFECT_TO_PB[strongest] };
}

export function fromProtoPlan(p: PbObjectPlan): Omit<ObjectPlan, 'action'> & { action: WirePlanAction } {
  const action = (Object.keys(ACTION_TO_PB) as WirePlanAction[]).find((k) => ACTION_TO_PB[k] === p.action) ?? 'update';
  return { kind: p.kind, name: p.name, action, changes: p.changes.map(fromProtoFieldChange) };
}
