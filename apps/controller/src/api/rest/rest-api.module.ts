/**
 * The REST API as a Nest module, served under /api/v1 by the app's ApiModule. Controller
 * order is route order: fixed paths (openapi.json, audit, events, vms/...) before `/:kind`.
 */
import { Module } from '@nestjs/common';
import { EventsModule } from '../../events/events.module';
import { ServicesModule } from '../../services/services.module';
import { AuditController } from './audit.controller';
import { EventsController } from './events.controller';
import { OpenApiController } from './openapi.controller';
import { ResourceController } from './resource.controller';
import { VmController } from './vm.controller';

export const REST_CONTROLLERS = [OpenApiController, AuditController, EventsController, VmController, ResourceController];

@Module({ imports: [ServicesModule, EventsModule], controllers: REST_CONTROLLERS })
export class RestApiModule {}
