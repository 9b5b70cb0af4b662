/** hvs.v1.VmService over gRPC: Start/Stop/Restart delegate to VmService, Migrate and CancelMigration to MigrationService; ConsoleInfo is not served here. */
import { problemToDetail, v1 } from '@hvs/proto';
import type { VmActionResult, VmService, VmTargets } from '../../services/vm.service';
import { cancelMigrationHandler, migrateVmHandler } from './migration.grpc';
import type { MigrationService } from '../../migration/migration.service';
import { unary, unimplementedHandler, type GrpcEdge } from './grpc-call';

function targets(r: v1.VmActionRequest): VmTargets {
  return { names: r.names, labelSelector: r.labelSelector || undefined };
}

function response(results: VmActionResult[]): v1.VmActionResponse {
  return { results: results.map((r) => ({ name: r.name, ok: r.ok, changed: r.changed, phase: r.phase, error: r.error ? problemToDetail(r.error) : undefined })) };
}

export function vmHandlers(service: VmService, edge: GrpcEdge, migrations?: MigrationService): v1.VmServiceServer {
  return {
    start: unary(edge, 'VmService/Start', async (r: v1.VmActionRequest, ctx) => response(await service.start(targets(r), ctx))),
    stop: unary(edge, 'VmService/Stop', async (r: v1.VmActionRequest, ctx) => response(await service.stop(targets(r), ctx))),
    restart: unary(edge, 'VmService/Restart', async (r: v1.VmActionRequest, ctx) => response(await service.restart(targets(r), ctx))),
    migrate: migrations ? migrateVmHandler(migrations, edge) : unimplementedHandler(edge, 'VmService/Migrate'),
    cancelMigration: migrations ? cancelMigrationHandler(migrations, edge) : unimplementedHandler(edge, 'VmService/CancelMigration'),
    consoleInfo: unimplementedHandler(edge, 'VmService/ConsoleInfo'),
  };
}
