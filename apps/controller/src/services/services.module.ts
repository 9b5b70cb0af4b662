/**
 * The service layer as a Nest module: one etcd backend (from ControllerConfig), the audit
 * log (retention from config, pruned hourly) and the services both transports call.
 * Needs ControllerConfig and LOGGER from the app (AppModule makes them global).
 */
import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuditService } from '../audit';
import { ControllerConfig } from '../config';
import { LOGGER } from '../observability';
import type { ObjectStore } from '../store';
import { BackendModule, EtcdBackend } from '../backend';
import { AdminService } from './admin.service';
import { IdentityModule, TOKEN_RECORDS, USER_RECORDS, type JsonRecords, type TokenRecord, type UserRecord } from '../identity';
import { Metrics } from '../observability';
import { ClusterPki } from '../pki/cluster-pki';
import { PkiModule } from '../pki/pki.module';
import { IdentityService } from './identity.service';
import { Refusals } from './refusals';
import { AuditReader } from './audit-reader';
import { EventService } from './event.service';
import { NodeService, type NodeHeartbeats } from './node.service';
import { ResourceService } from './resource.service';
import { NODE_HEARTBEATS, OBJECT_STORE } from './tokens';
import { VmService } from './vm.service';

/** Starts audit pruning with the app and stops it before the etcd client closes. */
@Injectable()
export class ServicesLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  onApplicationBootstrap(): void {
    this.audit.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.audit.stop();
  }
}

@Module({
  imports: [BackendModule, PkiModule, IdentityModule],
  providers: [
    { provide: OBJECT_STORE, useFactory: (b: EtcdBackend) => b.store, inject: [EtcdBackend] },
    { provide: NODE_HEARTBEATS, useFactory: (b: EtcdBackend) => b.leases, inject: [EtcdBackend] },
    {
      provide: AuditService, inject: [OBJECT_STORE, ControllerConfig, LOGGER],
      useFactory: (s: ObjectStore, c: ControllerConfig, log: Logger) =>
        new AuditService(s, { retentionDays: c.auditRetentionDays, onError: (err) => log.warn({ err, component: 'audit' }, 'audit pruning failed; retrying next interval') }),
    },
    {
      provide: ResourceService, inject: [OBJECT_STORE, AuditService, ControllerConfig],
      useFactory: (s: ObjectStore, a: AuditService, c: ControllerConfig) => new ResourceService(s, a, { imageUrlPrefixes: c.imageUrlPrefixes }),
    },
    { provide: VmService, useFactory: (s: ObjectStore, a: AuditService) => new VmService(s, a), inject: [OBJECT_STORE, AuditService] },
    {
      provide: NodeService, inject: [OBJECT_STORE, AuditService, NODE_HEARTBEATS, ControllerConfig],
      useFactory: (s: ObjectStore, a: AuditService, h: NodeHeartbeats, c: ControllerConfig) => new NodeService(s, a, h, { heartbeatIntervalMs: c.heartbeatIntervalMs, fenceAfterMs: c.haFenceAfterMs }),
    },
    { provide: EventService, inject: [EtcdBackend], useFactory: (b: EtcdBackend) => new EventService(b.connection, {}, b.store) },
    {
      provide: IdentityService, inject: [USER_RECORDS, TOKEN_RECORDS, ClusterPki, AuditService, OBJECT_STORE],
      useFactory: (users: JsonRecords<UserRecord>, tokens: JsonRecords<TokenRecord>, pki: ClusterPki, audit: AuditService, store: ObjectStore) => new IdentityService({ users, tokens, ca: pki.ca, audit, store }),
    },
    { provide: AuditReader, inject: [AuditService, OBJECT_STORE], useFactory: (a: AuditService, s: ObjectStore) => new AuditReader(a, s) },
    { provide: Refusals, inject: [AuditService, Metrics, LOGGER], useFactory: (a: AuditService, m: Metrics, log: Logger) => new Refusals(a, m, log.child({ component: 'access' })) },
    { provide: AdminService, inject: [EtcdBackend, AuditService], useFactory: (b: EtcdBackend, a: AuditService) => new AdminService(b.connection, b.transformer, a) },
    ServicesLifecycle,
  ],
  exports: [OBJECT_STORE, BackendModule, IdentityModule, AuditService, ResourceService, VmService, NodeService, EventService, IdentityService, Refusals, AuditReader, AdminService],
})
export class ServicesModule {}
