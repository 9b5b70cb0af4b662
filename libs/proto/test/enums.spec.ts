/**
 * Every enum table of src/convert/enums.ts (issue 11, item 3: one shape per concept): each
 * word survives domain -> proto number -> wire bytes -> proto number -> domain; every number
 * the generated enum has (but UNSPECIFIED) has a word, so a new proto value cannot be
 * forgotten; a number no table knows is a coded error, never a guess.
 */
import { HvsError, MigrationSpecSchema } from '@hvs/domain';
import { agentv1, applyActions, changeEffects, drainActions, enumTable, migrationModes, planActions, v1, vmEventTypes, watchEventTypes, type EnumTable } from '@hvs/proto';

const TABLES: [EnumTable<string, number>, Record<string, string | number>, Record<string, number>][] = [
  [migrationModes, v1.MigrationMode, { live: 1, postcopy: 2, offline: 3 }],
  [drainActions, v1.DrainAction, { migrate: 1, reassign: 2, stop: 3, blocked: 4 }],
  [applyActions, v1.ApplyAction, { created: 1, configured: 2, unchanged: 3, pruned: 4 }],
  [planActions, v1.PlanAction, { create: 1, update: 2, unchanged: 3, delete: 4 }],
  [changeEffects, v1.ChangeEffect, { none: 1, hotplug: 2, migration: 3, restart: 4 }],
  [watchEventTypes, v1.WatchEventType, { ADDED: 1, MODIFIED: 2, DELETED: 3, BOOKMARK: 4, ERROR: 5 }],
  [vmEventTypes, agentv1.VmEventType, { Started: 1, Stopped: 2, Crashed: 3, ReconcileError: 4, Migrated: 5, Defined: 6, Undefined: 7, Fenced: 8, ImageUsed: 9 }],
];

/** Numbers of a ts-proto enum object, without UNSPECIFIED (0) and UNRECOGNIZED (-1). */
function numbersOf(pbEnum: Record<string, string | number>): number[] {
  return Object.values(pbEnum).filter((v): v is number => typeof v === 'number' && v > 0).sort((a, b) => a - b);
}

function errorOf(f: () => unknown): HvsError {
  try {
    f();
  } catch (e) {
    return e as HvsError;
  }
  throw new Error('did not throw');
}

describe.each(TABLES.map(([t, pb, want]) => [t.name, t, pb, want] as const))('%s', (_name, table, pbEnum, want) => {
  it('maps each word to its proto number, in proto order', () => {
    expect(Object.fromEntries(table.values.map((w) => [w, table.toProto(w)]))).toEqual(want);
    expect(table.values).toEqual(Object.keys(want));
  });

  it('has a word for every number the generated enum has', () => {
    expect(table.values.map((w) => table.toProto(w))).toEqual(numbersOf(pbEnum));
  });

  it.each(Object.keys(want))('%s: word -> number -> word round trip', (word) => {
    expect(table.is(word)).toBe(true);
    expect(table.fromProto(table.toProto(word))).toBe(word);
    expect(table.fromProtoOptional(table.toProto(word))).toBe(word);
  });

  it('UNSPECIFIED (0): fromProto refuses with a code, fromProtoOptional says "not given", fromProtoOr falls back', () => {
    const e = errorOf(() => table.fromProto(0));
    expect(e).toBeInstanceOf(HvsError);
    expect(e.code).toBe('HVS-PROTO-ENUM-UNKNOWN');
    expect(table.fromProtoOptional(0)).toBeUndefined();
    expect(table.fromProtoOr(0, table.values[0]!)).toBe(table.values[0]);
  });

  it.each([99, -1])('an unknown number (%d, from a newer peer) is HVS-PROTO-ENUM-UNKNOWN naming the enum, the number and the known values', (n) => {
    for (const f of [() => table.fromProto(n), () => table.fromProtoOptional(n)]) {
      const e = errorOf(f);
      expect(e.code).toBe('HVS-PROTO-ENUM-UNKNOWN');
      expect(e.category).toBe('InvalidArgument');
      expect(e.message).toBe(`${table.name} ${n} is not a value this version knows`);
      expect(e.why).toContain(`${table.toProto(table.values[0]!)} (${table.values[0]})`);
      expect(e.fix).toMatch(/same version/);
    }
    expect(table.fromProtoOr(n, table.values[1]!)).toBe(table.values[1]);
  });

  it('a word that is not in the table (untyped input) is refused with the code, not sent as undefined', () => {
    expect(table.is('teleport')).toBe(false);
    expect(table.is(undefined)).toBe(false);
    expect(table.is('toString')).toBe(false);
    const e = errorOf(() => table.toProto('teleport'));
    expect(e.code).toBe('HVS-PROTO-ENUM-UNKNOWN');
    expect(e.message).toBe(`${table.name} "teleport" is not a value this version knows`);
  });
});

describe('the tables and their neighbours agree', () => {
  it('MigrationMode words are exactly the Migration schema\'s modes', () => {
    expect([...migrationModes.values].sort()).toEqual([...MigrationSpecSchema.shape.mode.unwrap().options].sort());
  });

  it('a MigrateVmRequest mode survives the wire bytes', () => {
    for (const mode of migrationModes.values) {
      const bytes = v1.MigrateVmRequest.encode(v1.MigrateVmRequest.fromPartial({ vm: 'web-1', mode: migrationModes.toProto(mode) })).finish();
      expect(migrationModes.fromProtoOptional(v1.MigrateVmRequest.decode(bytes).mode)).toBe(mode);
    }
    const none = v1.MigrateVmRequest.decode(v1.MigrateVmRequest.encode(v1.MigrateVmRequest.fromPartial({ vm: 'web-1' })).finish());
    expect(migrationModes.fromProtoOptional(none.mode)).toBeUndefined();
  });

  it('enumTable refuses two words on one number (fromProto would be ambiguous)', () => {
    expect(() => enumTable('Dup', { a: 1, b: 1 })).toThrow(/Dup: "a" and "b" are both 1/);
  });
});
