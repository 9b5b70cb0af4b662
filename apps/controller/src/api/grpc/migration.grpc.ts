/**
 * The gRPC faces of MigrateVm (unary) and Drain (server stream); vm.grpc.ts and node.grpc.ts
 * delegate here in one line. Errors before the first message end the call with the
 * HvsError's status and trailer; a Drain stream that fails later ends the same way.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { MigrationMode } from '@hvs/domain';
import { problemToDetail, v1 } from '@hvs/proto';
import { contextOf, failure, unary, type GrpcEdge } from './grpc-call';
import { protoObject } from './resource.grpc';
import type { StoredObject } from '../../store/types';
import type { DrainService, DrainUpdate } from '../../migration/drain.service';
import type { MigrateVmResult, MigrationService } from '../../migration/migration.service';

const FROM_PROTO: Partial<Record<v1.MigrationMode, MigrationMode>> = {
  [v1.MigrationMode.LIVE]: 'live', [v1.MigrationMode.POSTCOPY]: 'postcopy', [v1.MigrationMode.OFFLINE]: 'offline',
};
export const MODE_TO_PROTO: Record<MigrationMode, v1.MigrationMode> = { live: v1.MigrationMode.LIVE, postcopy: v1.MigrationMode.POSTCOPY, offline: v1.MigrationMode.OFFLINE };
const ACTIONS = { migrate: v1.DrainAction.MIGRATE, reassign: v1.DrainAction.REASSIGN, blocked: v1.DrainAction.BLOCKED } as const;

function migrateResponse(r: MigrateVmResult): v1.MigrateVmResponse {
  const e = r.estimate;
  return {
    migration: r.migration ? protoObject(r.migration as StoredObject) : undefined, sourceNode: r.sourceNode, targetNode: r.targetNode,
    estimate: { memoryBytes: e.memoryBytes, dirtyRateBps: e.dirtyRateBps, bandwidthBps: e.bandwidthBps, durationMs: e.durationMs, downtimeMs: e.downtimeMs, notes: [`mode ${r.mode}`, ...e.notes] },
  };
}

export function migrateVmHandler(service: MigrationService, edge: GrpcEdge) {
  return unary(edge, 'VmService/Migrate', async (r: v1.MigrateVmRequest, ctx) => migrateResponse(await service.migrateVm({
    vm: r.vm, targetNode: r.targetNode || undefined, mode: FROM_PROTO[r.mode], maxDowntimeMs: r.maxDowntimeMs > 0 ? r.maxDowntimeMs : undefined,
    ...(r.copyStorage !== undefined ? { copyStorage: r.copyStorage } : {}), ...(r.bandwidthLimitBytesPerSecond > 0 ? { bandwidthLimit: r.bandwidthLimitBytesPerSecond } : {}), dryRun: r.dryRun,
  }, ctx)));
}

export function cancelMigrationHandler(service: MigrationService, edge: GrpcEdge) {
  return unary(edge, 'VmService/CancelMigration', async (r: v1.CancelMigrationRequest, ctx): Promise<v1.CancelMigrationResponse> => ({
    migration: protoObject(await service.cancel({ migration: r.migration || undefined, vm: r.vm || undefined }, ctx) as StoredObject),
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
            vm: i.vm, action: ACTIONS[i.action], targetNode: i.target ?? '', mode: i.mode ? MODE_TO_PROTO[i.mode] : v1.MigrationMode.UNSPECIFIED,
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

export function drainHandler(service: DrainService, edge: GrpcEdge, guard?: (call: ServerWritableStream<v1.DrainRequest, v1.DrainEvent>) => void) {
  return (call: ServerWritableStream<v1.DrainRequest, v1.DrainEvent>) => {
    let open = true;
    call.on('cancelled', () => (open = false));
    void (async () => {
      guard?.(call);
      const it = service.drain({ node: call.request.name, execute: call.request.execute, maxParallel: call.request.maxParallel || undefined }, contextOf(call.metadata));
      for await (const u of it) {
        if (!open) {
          await it.return(undefined);
          return;
        }
        if (!call.write(drainEvent(u))) await new Promise<void>((resolve) => call.once('drain', () => resolve()));
      }
      call.end();
    })().catch((e: unknown) => {
      if (open) call.emit('error', failure(edge, 'NodeService/Drain', e));
    });
  };
}
