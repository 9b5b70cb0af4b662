/**
 * The REST API as a Nest module, served under /api/v1 by the app's ApiModule. Controller
 * order is route order: fixed paths (openapi.json, audit, vms/...) before `/:kind`.
 */
import { Module } from '@nestjs/common';
import { ServicesModule } from '../../services/services.module';
import { AuditController } from './audit.controller';
import { OpenApiController } from './openapi.controller';
import { ResourceController } from './resource.controller';
import { VmController } from './vm.controller';

export const REST_CONTROLLERS = [OpenApiController, AuditController, VmController, ResourceController];

@Module({ imports: [ServicesModule], controllers: REST_CONTROLLERS })
export class RestApiModule {}
