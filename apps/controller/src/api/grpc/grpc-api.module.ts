/** The gRPC API as a Nest module: the server provider, wired to the same services as REST. */
import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuditService } from '../../audit';
import { ControllerConfig } from '../../config';
import { LOGGER, Metrics } from '../../observability';
import { EventService, EventsModule } from '../../events';
import { NodeService, ResourceService, ServicesModule, VmService } from '../../services';
import { auditHandlers } from './audit.grpc';
import { eventHandlers } from './events.grpc';
import { GrpcApiServer } from './grpc-server';
import { nodeHandlers } from './node.grpc';
import { resourceHandlers } from './resource.grpc';
import { vmHandlers } from './vm.grpc';

@Module({
  imports: [ServicesModule, EventsModule],
  providers: [
    {
      provide: GrpcApiServer,
      inject: [ControllerConfig, ResourceService, VmService, NodeService, AuditService, EventService, Metrics, LOGGER],
      useFactory: (config: ControllerConfig, resource: ResourceService, vm: VmService, node: NodeService, audit: AuditService, events: EventService, metrics: Metrics, logger: Logger) => {
        const edge = { metrics, log: logger.child({ component: 'grpc' }) };
        return new GrpcApiServer(config.grpcListen, {
          resource: resourceHandlers(resource, edge), vm: vmHandlers(vm, edge), node: nodeHandlers(node, edge), audit: auditHandlers(audit, edge),
          events: eventHandlers(events, edge),
        }, edge);
      },
    },
  ],
  exports: [GrpcApiServer],
})
export class GrpcApiModule {}
