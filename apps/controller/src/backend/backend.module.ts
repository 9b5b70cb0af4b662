/**
 * The etcd backend as a Nest module: one EtcdBackend (object store, node leases, the raw
 * connection) built from ControllerConfig, shared by every module that reads or writes etcd.
 * EtcdBackend closes the client in onApplicationShutdown, after the modules that use it stop.
 */
import { Module } from '@nestjs/common';
import { ControllerConfig, readEtcdCredentials } from '../config';
import { EtcdBackend } from './etcd-backend';

@Module({
  providers: [
    {
      provide: EtcdBackend, inject: [ControllerConfig],
      useFactory: (c: ControllerConfig) => new EtcdBackend({
        endpoints: c.etcdEndpoints, credentials: readEtcdCredentials(c), leaseTtlSeconds: Math.round(c.leaseTtlMs / 1000), maxTxnOps: c.etcdMaxTxnOps,
      }),
    },
  ],
  exports: [EtcdBackend],
})
export class BackendModule {}
