/**
 * The etcd backend as a Nest module: one EtcdBackend (object store, node leases, the raw
 * connection, encryption at rest with the key file of the data dir) built from ControllerConfig, shared by every module that reads or writes etcd.
 * EtcdBackend closes the client in onApplicationShutdown, after the modules that use it stop.
 */
import { Module } from '@nestjs/common';
import { ControllerConfig, readEtcdCredentials } from '../config';
import { EnvelopeTransformer, KeyRing } from '../store';
import { EtcdBackend } from './etcd-backend';

@Module({
  providers: [
    {
      provide: EtcdBackend, inject: [ControllerConfig],
      useFactory: (c: ControllerConfig) => new EtcdBackend({
        endpoints: c.etcdEndpoints, credentials: readEtcdCredentials(c), leaseTtlSeconds: Math.round(c.leaseTtlMs / 1000), maxTxnOps: c.etcdMaxTxnOps,
        // Secrets and VMs are encrypted at rest with the key file of <dataDir>/encryption (created at first start).
        transformer: new EnvelopeTransformer(KeyRing.loadOrCreate(c.dataDir)),
      }),
    },
  ],
  exports: [EtcdBackend],
})
export class BackendModule {}
