/**
 * Live migration over REST (the same MigrationService as gRPC's VmService.Migrate):
 * - POST /api/v1/vms/{name}/migrate {to?, mode?, maxDowntime?, copyStorage?, bandwidth?, dryRun?}: the
 *   estimate (inputs measured or assumed, with notes) and, unless dryRun, the Migration created
 *   (201; a dry run answers 200 and writes nothing);
 * - POST /api/v1/migrations/{name}/cancel: stops a Pending or Running Migration (200 with it,
 *   spec.cancel set; 400 HVS-MIGRATION-ENDED / -NOT-CANCELLABLE when it cannot);
 * - GET /api/v1/migrations[?labelSelector=hvs.dev/vm=web&watch=1] and /api/v1/migrations/{name}
 *   are the generic resource routes (resource.controller.ts), watch included: the objects carry
 *   status.progress (bytes, remaining, dirty rate, iteration) and downtimeMs.
 * Errors are HvsErrors; the app's filter maps them through the one table (400 bad body, 404 no
 * such VM, 409 already moving, 400 cannot move / no target with the code saying which, 503 etcd down).
 */
import { Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { HvsError, tryParseBandwidth, tryParseDuration } from '@hvs/domain';
import { migrationModes } from '@hvs/proto';
import { MigrationService, type MigrateVmInput } from '../../migration/migration.service';
import { actionBody } from './action-body';
import { contextOf, type RequestLike } from './request-body';

function bad(path: string, message: string, fix: string): HvsError {
  return new HvsError({ code: 'HVS-API-BODY-INVALID', category: 'InvalidArgument', path, message, why: 'POST /api/v1/vms/{name}/migrate takes {"to"?: node, "mode"?: "live"|"postcopy"|"offline", "maxDowntime"?: "100ms", "copyStorage"?: boolean, "bandwidth"?: "100MB", "dryRun"?: boolean}', fix });
}

const MIGRATE_FIELDS = ['to', 'mode', 'maxDowntime', 'copyStorage', 'bandwidth', 'dryRun'];

/** The request body (a JSON object of MIGRATE_FIELDS, checked by actionBody) as MigrateVmInput; every problem is a 400 with its field. */
export function migrateBody(vm: string, b: Record<string, unknown>): MigrateVmInput {
  if (b.to !== undefined && typeof b.to !== 'string') throw bad('to', '"to" is not a node name', 'name a node, e.g. "to": "node-b", or leave it out to let the scheduler pick');
  if (b.mode !== undefined && !migrationModes.is(b.mode)) throw bad('mode', `"mode" ${JSON.stringify(b.mode)} is not one of ${migrationModes.values.join(', ')}`, 'use "live", "postcopy" or "offline"');
  let maxDowntimeMs: number | undefined;
  if (b.maxDowntime !== undefined) {
    maxDowntimeMs = typeof b.maxDowntime === 'number' ? b.maxDowntime : tryParseDuration(b.maxDowntime);
    if (maxDowntimeMs === undefined || !(maxDowntimeMs > 0) || maxDowntimeMs > 60_000) throw bad('maxDowntime', `"maxDowntime" ${JSON.stringify(b.maxDowntime)} is not a duration between 1ms and 60s`, 'write e.g. "100ms" or "1s"');
  }
  const bandwidthLimit = b.bandwidth === undefined ? undefined : tryParseBandwidth(b.bandwidth);
  if (b.bandwidth !== undefined && bandwidthLimit === undefined) throw bad('bandwidth', `"bandwidth" ${JSON.stringify(b.bandwidth)} is not a bandwidth`, 'write e.g. "100MB" (bytes/s) or "1Gbit"');
  for (const f of ['copyStorage', 'dryRun'] as const) if (b[f] !== undefined && typeof b[f] !== 'boolean') throw bad(f, `"${f}" is not true or false`, `send "${f}": true or false`);
  return {
    vm, ...(b.to ? { targetNode: b.to as string } : {}), ...(migrationModes.is(b.mode) ? { mode: b.mode } : {}), ...(maxDowntimeMs !== undefined ? { maxDowntimeMs } : {}),
    ...(b.copyStorage !== undefined ? { copyStorage: b.copyStorage as boolean } : {}), ...(bandwidthLimit ? { bandwidthLimit } : {}), dryRun: b.dryRun === true,
  };
}

@Controller()
export class MigrationController {
  constructor(@Inject(MigrationService) private readonly migrations: MigrationService) {}

  @Post('vms/:name/migrate')
  async migrate(@Param('name') name: string, @Req() req: RequestLike, @Res({ passthrough: true }) res: { status(code: number): unknown }) {
    const r = await this.migrations.migrateVm(migrateBody(name, actionBody(req, 'POST /api/v1/vms/{name}/migrate', MIGRATE_FIELDS)), contextOf(req));
    res.status(r.migration ? 201 : 200);
    return r;
  }

  @Post('migrations/:name/cancel')
  @HttpCode(200)
  cancel(@Param('name') name: string, @Req() req: RequestLike) {
    actionBody(req, 'POST /api/v1/migrations/{name}/cancel');
    return this.migrations.cancel({ migration: name }, contextOf(req));
  }
}
