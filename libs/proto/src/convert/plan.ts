import { strongestEffect, type ChangeEffect, type FieldChange, type ObjectPlan } from '@hvs/domain';
import type { FieldChange as PbFieldChange, ObjectPlan as PbObjectPlan, ChangeEffect as PbEffect } from '../gen/hvs/v1/resource.js';
import { changeEffects, planActions, type WirePlanAction } from './enums.js';

export function effectToProto(e: ChangeEffect): PbEffect {
  return changeEffects.toProto(e);
}

/** UNSPECIFIED or a value from a newer server reads as `restart`: the cautious guess. */
export function effectFromProto(e: PbEffect): ChangeEffect {
  return changeEffects.fromProtoOr(e, 'restart');
}

export function toProtoFieldChange(c: FieldChange): PbFieldChange {
  return {
    path: c.path,
    oldJson: c.old === undefined ? '' : JSON.stringify(c.old),
    newJson: c.new === undefined ? '' : JSON.stringify(c.new),
    effect: changeEffects.toProto(c.effect),
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
  const strongest = strongestEffect(p.changes.map((c) => c.effect));
  return { kind: p.kind, name: p.name, action: planActions.toProto(p.action), changes: p.changes.map(toProtoFieldChange), effect: changeEffects.toProto(strongest) };
}

export function fromProtoPlan(p: PbObjectPlan): Omit<ObjectPlan, 'action'> & { action: WirePlanAction } {
  // A plan action from a newer server is shown as an update: the plan still lists its changes.
  const action = planActions.fromProtoOr(p.action, 'update');
  return { kind: p.kind, name: p.name, action, changes: p.changes.map(fromProtoFieldChange) };
}
