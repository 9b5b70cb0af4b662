/**
 * The cluster PKI as a Nest provider: built once at start (CA from the data dir, tokens and
 * certificate records in etcd); the controller's own certificate is renewed while it runs.
 */
import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { ControllerConfig } from '../config';
import { LOGGER } from '../observability';
import { BackendModule, EtcdBackend } from '../backend';
import { CertificateCleanup } from './certificate-cleanup';
import { EtcdCertificateStore } from './certificate-store';
import { ClusterPki } from './cluster-pki';
import { EtcdTokenRepository } from './token-repository';

/**
 * Starts the controller certificate's renewal check and the removal of deleted nodes'
 * certificate records with the app, stops both at shutdown.
 */
@Injectable()
export class PkiLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly cleanup: CertificateCleanup;

  constructor(@Inject(ClusterPki) private readonly pki: ClusterPki, @Inject(EtcdBackend) backend: EtcdBackend, @Inject(LOGGER) private readonly log: Logger) {
    this.cleanup = new CertificateCleanup(backend.connection, pki.certificates, log);
  }

  onApplicationBootstrap(): void {
    this.pki.startRenewal(this.log);
    this.cleanup.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.pki.stopRenewal();
    await this.cleanup.stop();
  }
}

@Module({
  imports: [BackendModule],
  providers: [
    {
      provide: ClusterPki, inject: [ControllerConfig, EtcdBackend],
      useFactory: (c: ControllerConfig, b: EtcdBackend) => ClusterPki.create({
        dataDir: c.dataDir, listenHost: c.grpcListen.host, alsoHosts: [c.httpListen.host], tokens: new EtcdTokenRepository(b.connection), certificates: new EtcdCertificateStore(b.connection),
      }),
    },
    PkiLifecycle,
  ],
  exports: [ClusterPki],
})
export class PkiModule {}
