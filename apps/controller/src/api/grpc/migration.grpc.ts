/**
 * The gRPC faces of MigrateVm (unary) and Drain (server stream); vm.grpc.ts and node.grpc.ts
 * delegate here in one line. Drain is served like every stream (grpc-call's serverStream):
 * errors before the first message or later end the call with the HvsError's status and
 * trailer; a client that goes away stops the drain at its next step (Migrations already
 * created carry on).
 */
import { drainActions, mapStream, migrationModes, problemToDetail, v1 } from '@hvs/proto';
import { serverStream, unary, type GrpcEdge } from './grpc-call';
import { protoObject } from './resource.grpc';
import type { DrainService, DrainUpdate } from '../../migration/drain.service';
import type { MigrateVmResult, MigrationService } from '../../migration/migration.service';

function migrateResponse(r: MigrateVmResult): v1.MigrateVmResponse {
  const e = r.estimate;
  return {
    migration: r.migration ? protoObject(r.migration) : undefined, sourceNode: r.sourceNode, targetNode: r.targetNode,
    estimate: { memoryBytes: e.memoryBytes, dirtyRateBps: e.dirtyRateBps, bandwidthBps: e.bandwidthBps, durationMs: e.durationMs, downtimeMs: e.downtimeMs, notes: [`mode ${r.mode}`, ...e.notes] },
  };
}

export function migrateVmHandler(service: MigrationService, edge: GrpcEdge) {
  return unary(edge, 'VmService/Migrate', async (r: v1.MigrateVmRequest, ctx) => migrateResponse(await service.migrateVm({
    vm: r.vm, targetNode: r.targetNode || undefined, mode: migrationModes.fromProtoOptional(r.mode), maxDowntimeMs: r.maxDowntimeMs > 0 ? r.maxDowntimeMs : undefined,
    ...(r.copyStorage !== undefined ? { copyStorage: r.copyStorage } : {}), ...(r.bandwidthLimitBytesPerSecond > 0 ? { bandwidthLimit: r.bandwidthLimitBytesPerSecond } : {}), dryRun: r.dryRun,
  }, ctx)));
}

export function cancelMigrationHandler(service: MigrationService, edge: GrpcEdge) {
  return unary(edge, 'VmService/CancelMigration', async (r: v1.CancelMigrationRequest, ctx): Promise<v1.CancelMigrationResponse> => ({
    migration: protoObject(await service.cancel({ migration: r.migration || undefined, vm: r.vm || undefined }, ctx)),
  }));
}

export function drainEvent(u: DrainUpdate): v1.DrainEvent {
  if (u.type === 'plan') {
    return {
      event: {
        $case: 'plan',
        value: {
          node: u.plan.node,
          items: u.plan.items.map((i) => ({
            vm: i.vm, action: drainActions.toProto(i.action), targetNode: i.target ?? '', mode: i.mode ? migrationModes.toProto(i.mode) : v1.MigrationMode.UNSPECIFIED,
            reason: i.action === 'blocked' ? `${i.reason ?? ''}${i.fix ? `; fix: ${i.fix}` : ''}` : i.notes.join('; '),
          })),
        },
      },
    };
  }
  if (u.type === 'vm') {
    return {
      event: {
        $case: 'vm',
        value: {
          vm: u.vm, migration: u.migration, phase: u.phase, dataTotal: u.bytesTotal, dataProcessed: u.bytesDone,
          error: u.failed ? problemToDetail({ code: 'HVS-MIGRATION-FAILED', message: u.message ?? 'the migration failed', fix: `hvctl get migration ${u.migration} -o yaml shows the reason` }) : undefined,
        },
      },
    };
  }
  return { event: { $case: 'done', value: { moved: u.moved, failed: u.failed, blocked: u.blocked, cordoned: u.cordoned } } };
}

export function drainHandler(service: DrainService, edge: GrpcEdge) {
  return serverStream(edge, 'NodeService/Drain', (r: v1.DrainRequest, ctx) =>
    mapStream(service.drain({ node: r.name, execute: r.execute, maxParallel: r.maxParallel || undefined }, ctx), drainEvent));
}
