/**
 * Every enum of the API as one table between its domain words and its proto numbers, used
 * by the controller and hvctl alike (one shape per concept, issue 11). Guarantees:
 * - toProto and fromProto are inverse on every word of a table (test/enums.spec.ts);
 * - a number no table knows (a newer peer, a corrupt message) is never guessed: fromProto
 *   throws HVS-PROTO-ENUM-UNKNOWN (InvalidArgument), unless the caller asks for its own
 *   fallback with fromProtoOr (effects read as `restart`, the cautious guess);
 * - UNSPECIFIED (0) means "not given": fromProtoOptional returns undefined for it.
 */
import { HvsError, type ChangeEffect, type MigrationMode, type PlanAction, type VmEventType } from '@hvs/domain';
import { VmEventType as PbVmEventType } from '../gen/hvs/agent/v1/agent.js';
import { MigrationMode as PbMigrationMode } from '../gen/hvs/v1/host.js';
import { DrainAction as PbDrainAction } from '../gen/hvs/v1/node.js';
import { ApplyAction as PbApplyAction, ChangeEffect as PbChangeEffect, PlanAction as PbPlanAction, WatchEventType as PbWatchEventType } from '../gen/hvs/v1/resource.js';

export interface EnumTable<D extends string, P extends number> {
  /** The proto enum's name, for messages. */
  readonly name: string;
  /** Domain words in proto order. */
  readonly values: readonly D[];
  is(word: unknown): word is D;
  toProto(word: D): P;
  /** The domain word of `n`; throws HVS-PROTO-ENUM-UNKNOWN for UNSPECIFIED or a number no table knows. */
  fromProto(n: P): D;
  /** Like fromProto, but UNSPECIFIED (0) is undefined: the field was not given. */
  fromProtoOptional(n: P): D | undefined;
  /** Like fromProto, but UNSPECIFIED and unknown numbers read as `fallback`. */
  fromProtoOr(n: P, fallback: D): D;
}

export function enumTable<D extends string, P extends number>(name: string, pairs: Record<D, P>): EnumTable<D, P> {
  const values = (Object.keys(pairs) as D[]).sort((a, b) => pairs[a] - pairs[b]);
  const byNumber = new Map<number, D>();
  for (const v of values) {
    const taken = byNumber.get(pairs[v]);
    // A programming error in this file, caught by its tests: fromProto would be ambiguous.
    if (taken !== undefined) throw new Error(`${name}: "${taken}" and "${v}" are both ${pairs[v]}`);
    byNumber.set(pairs[v], v);
  }
  const table: EnumTable<D, P> = {
    name,
    values,
    is: (word: unknown): word is D => typeof word === 'string' && Object.prototype.hasOwnProperty.call(pairs, word),
    toProto(word) {
      if (!table.is(word)) throw unknownEnum(name, JSON.stringify(word), `one of ${values.join(', ')}`);
      return pairs[word];
    },
    fromProto(n) {
      const w = byNumber.get(n);
      if (w === undefined) throw unknownEnum(name, String(n), `one of ${values.map((v) => `${pairs[v]} (${v})`).join(', ')}`);
      return w;
    },
    fromProtoOptional: (n) => (n === 0 ? undefined : table.fromProto(n)),
    fromProtoOr: (n, fallback) => byNumber.get(n) ?? fallback,
  };
  return table;
}

function unknownEnum(name: string, value: string, known: string): HvsError {
  return new HvsError({
    code: 'HVS-PROTO-ENUM-UNKNOWN', category: 'InvalidArgument',
    message: `${name} ${value} is not a value this version knows`,
    why: `it knows ${known}; the peer is probably newer (or the message is corrupt)`,
    fix: 'run the same version of hvctl, controller and agents (hvctl version, hvctl diagnose)',
  });
}

export const migrationModes = enumTable<MigrationMode, PbMigrationMode>('MigrationMode', {
  live: PbMigrationMode.LIVE, postcopy: PbMigrationMode.POSTCOPY, offline: PbMigrationMode.OFFLINE,
});

/** What a drain does with one VM. `stop` exists on the wire (stop_unmovable) though no plan makes it yet. */
export type WireDrainAction = 'migrate' | 'reassign' | 'stop' | 'blocked';
export const drainActions = enumTable<WireDrainAction, PbDrainAction>('DrainAction', {
  migrate: PbDrainAction.MIGRATE, reassign: PbDrainAction.REASSIGN, stop: PbDrainAction.STOP, blocked: PbDrainAction.BLOCKED,
});

/** What apply did with one object. */
export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'pruned';
export const applyActions = enumTable<ApplyAction, PbApplyAction>('ApplyAction', {
  created: PbApplyAction.CREATED, configured: PbApplyAction.CONFIGURED, unchanged: PbApplyAction.UNCHANGED, pruned: PbApplyAction.PRUNED,
});

/** Plan actions on the wire: the domain's three plus `delete` (objects pruned by apply --prune). */
export type WirePlanAction = PlanAction | 'delete';
export const planActions = enumTable<WirePlanAction, PbPlanAction>('PlanAction', {
  create: PbPlanAction.CREATE, update: PbPlanAction.UPDATE, unchanged: PbPlanAction.UNCHANGED, delete: PbPlanAction.DELETE,
});

export const changeEffects = enumTable<ChangeEffect, PbChangeEffect>('ChangeEffect', {
  none: PbChangeEffect.NONE, hotplug: PbChangeEffect.HOTPLUG, migration: PbChangeEffect.MIGRATION, restart: PbChangeEffect.RESTART,
});

/** Store changes as watch events; BOOKMARK and ERROR are the stream's own and carry no object. */
export type WireWatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export const watchEventTypes = enumTable<WireWatchEventType, PbWatchEventType>('WatchEventType', {
  ADDED: PbWatchEventType.ADDED, MODIFIED: PbWatchEventType.MODIFIED, DELETED: PbWatchEventType.DELETED,
  BOOKMARK: PbWatchEventType.BOOKMARK, ERROR: PbWatchEventType.ERROR,
});

/** What happened to a VM on its host (agent Watch -> the controller's events). */
export const vmEventTypes = enumTable<VmEventType, PbVmEventType>('VmEventType', {
  Started: PbVmEventType.STARTED, Stopped: PbVmEventType.STOPPED, Crashed: PbVmEventType.CRASHED,
  ReconcileError: PbVmEventType.RECONCILE_ERROR, Migrated: PbVmEventType.MIGRATED, Defined: PbVmEventType.DEFINED,
  Undefined: PbVmEventType.UNDEFINED, Fenced: PbVmEventType.FENCED, ImageUsed: PbVmEventType.IMAGE_USED,
});
