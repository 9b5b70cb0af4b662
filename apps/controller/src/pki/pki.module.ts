/**
 * The cluster PKI as a Nest provider: built once at start (CA from the data dir, tokens and
 * certificate records in etcd); the controller's own certificate is renewed while it runs.
 */
import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { ControllerConfig } from '../config';
import { LOGGER } from '../observability';
import { BackendModule, EtcdBackend } from '../backend';
import { EtcdCertificateRecords } from './certificate-records';
import { ClusterPki } from './cluster-pki';
import { EtcdTokenRepository } from './token-repository';

/** Starts the controller certificate's renewal check with the app, stops it at shutdown. */
@Injectable()
export class PkiLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(ClusterPki) private readonly pki: ClusterPki, @Inject(LOGGER) private readonly log: Logger) {}

  onApplicationBootstrap(): void {
    this.pki.startRenewal(this.log);
  }

  onApplicationShutdown(): void {
    this.pki.stopRenewal();
  }
}

@Module({
  imports: [BackendModule],
  providers: [
    {
      provide: ClusterPki, inject: [ControllerConfig, EtcdBackend],
      useFactory: (c: ControllerConfig, b: EtcdBackend) => ClusterPki.create({
        dataDir: c.dataDir, listenHost: c.grpcListen.host, alsoHosts: [c.httpListen.host], tokens: new EtcdTokenRepository(b.connection), certificates: new EtcdCertificateRecords(b.connection),
      }),
    },
    PkiLifecycle,
  ],
  exports: [ClusterPki],
})
export class PkiModule {}
