/** The gRPC API as a Nest module: the server provider, wired to the same services as REST. */
import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuditService } from '../../audit';
import { ControllerConfig, formatListen } from '../../config';
import { LOGGER, Metrics } from '../../observability';

import { ClusterPki } from '../../pki';
import { PkiModule } from '../../pki/pki.module';
import { ImagesModule } from '../../images/images.module';
import { AdminService, EventService, NodeService, ResourceService, ServicesModule, VmService } from '../../services';
import { EtcdBackend } from '../../backend/etcd-backend';
import { JoinService } from '../../services/join.service';
import { OBJECT_STORE } from '../../services/tokens';
import type { ObjectStore } from '../../store';
import { agentDirtyRateProbe, DrainService, MigrationService } from '../../migration';
import { Authenticator } from '../../identity';
import { IdentityService } from '../../services/identity.service';
import { Refusals } from '../../services/refusals';
import { AuditReader } from '../../services/audit-reader';
import { auditHandlers } from './audit.grpc';
import { identityHandlers } from './identity.grpc';
import { eventHandlers } from './events.grpc';
import { GrpcApiServer } from './grpc-server';
import { nodeHandlers } from './node.grpc';
import { adminHandlers } from './admin.grpc';
import { resourceHandlers } from './resource.grpc';
import { vmHandlers } from './vm.grpc';
import { imageHandlers } from './image.grpc';
import { ImageService } from '../../images/image.service';

@Module({
  imports: [ServicesModule, PkiModule, ImagesModule],
  providers: [
    {
      provide: GrpcApiServer,
      inject: [ControllerConfig, ResourceService, VmService, NodeService, AuditService, EventService, Metrics, LOGGER, ClusterPki, OBJECT_STORE, EtcdBackend, Authenticator, Refusals, IdentityService, AuditReader, AdminService, ImageService],
      useFactory: (config: ControllerConfig, resource: ResourceService, vm: VmService, node: NodeService, audit: AuditService, events: EventService, metrics: Metrics, logger: Logger,
        pki: ClusterPki, store: ObjectStore, backend: EtcdBackend, authenticator: Authenticator, refusals: Refusals, identity: IdentityService, auditReader: AuditReader, admin: AdminService, images: ImageService) => {
        const edge = { metrics, log: logger.child({ component: 'grpc' }), authenticator, refusals };
        const join = new JoinService(store, audit, pki, () => [formatListen(config.grpcListen)]);
        return new GrpcApiServer(config.grpcListen, {
          resource: resourceHandlers(resource, edge), vm: vmHandlers(vm, edge, new MigrationService(store, audit, undefined, agentDirtyRateProbe(pki.dialAgent))),
          node: nodeHandlers(node, edge, { pki, join, store, etcd: backend.connection }, new DrainService(store, audit, node)), audit: auditHandlers(auditReader, edge),
          events: eventHandlers(events, edge), identity: identityHandlers(identity, edge), admin: adminHandlers(admin, edge), image: imageHandlers(images, edge),
        }, edge, pki.serverCredentials());
      },
    },
  ],
  exports: [GrpcApiServer],
})
export class GrpcApiModule {}
