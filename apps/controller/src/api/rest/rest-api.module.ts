/**
 * The REST API as a Nest module, served under /api/v1 by the app's ApiModule. Controller
 * order is route order: fixed paths (openapi.json, audit, events, vms/...) before `/:kind`.
 */
import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditService } from '../../audit';
import { EventsModule } from '../../events/events.module';
import { agentDirtyRateProbe, MigrationService } from '../../migration';
import { ClusterPki } from '../../pki/cluster-pki';
import { PkiModule } from '../../pki/pki.module';
import { ServicesModule } from '../../services/services.module';
import { OBJECT_STORE } from '../../services/tokens';
import type { ObjectStore } from '../../store';
import { AuditController } from './audit.controller';
import { MetricsAuthentication, RestAuthentication } from './authentication';
import { RestRefusals } from './refusal.interceptor';
import { EventsController } from './events.controller';
import { IdentityController } from './identity.controller';
import { MigrationController } from './migration.controller';
import { OpenApiController } from './openapi.controller';
import { ResourceController } from './resource.controller';
import { VmController } from './vm.controller';

export const REST_CONTROLLERS = [OpenApiController, AuditController, EventsController, IdentityController, VmController, MigrationController, ResourceController];

@Module({
  imports: [ServicesModule, EventsModule, PkiModule],
  controllers: REST_CONTROLLERS,
  providers: [{ provide: APP_INTERCEPTOR, useClass: RestRefusals }, {
    provide: MigrationService, inject: [OBJECT_STORE, AuditService, ClusterPki],
    useFactory: (store: ObjectStore, audit: AuditService, pki: ClusterPki) => new MigrationService(store, audit, undefined, agentDirtyRateProbe(pki.dialAgent)),
  }],
})
export class RestApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RestAuthentication).forRoutes(...REST_CONTROLLERS);
    consumer.apply(MetricsAuthentication).forRoutes({ path: 'metrics', method: RequestMethod.GET });
  }
}
