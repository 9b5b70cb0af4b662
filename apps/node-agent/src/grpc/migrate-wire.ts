/**
 * Agent.Migrate, AbortMigration and SampleDirtyRate: wire <-> the migration handler's domain
 * terms, once, at the edge. The mode comes through libs/proto's one MigrationMode table;
 * UNSPECIFIED reads as live (what the controller means by leaving it out), a number this
 * version does not know is refused (HVS-PROTO-ENUM-UNKNOWN) before anything happens.
 */
import { agentv1, migrationModes, problemToDetail } from '@hvs/proto';
import type { MigrateOrder, MigrateReport } from '../migration/migrate-handler';

export function migrateOrderFromWire(r: agentv1.MigrateRequest): MigrateOrder {
  return {
    vmUid: r.vmUid, vmName: r.vmName, migration: r.migration, targetUri: r.targetUri, mode: migrationModes.fromProtoOptional(r.mode) ?? 'live',
    copyStorage: r.copyStorage, autoConverge: r.autoConverge, maxDowntimeMs: r.maxDowntimeMs, bandwidthBytesPerSecond: r.bandwidthBytesPerSecond,
    fencingToken: r.fencingToken,
  };
}

export function toWireProgress(p: MigrateReport): agentv1.MigrateProgress {
  return {
    phase: p.phase, dataTotal: p.dataTotal, dataProcessed: p.dataProcessed, dataRemaining: p.dataRemaining, dirtyRate: p.dirtyRate,
    iteration: p.iteration, downtimeMs: p.downtimeMs, elapsedMs: p.elapsedMs, error: p.error && problemToDetail(p.error),
  };
}
