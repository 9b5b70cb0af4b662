/** The cluster PKI as a Nest provider: built once at start (CA from the data dir, tokens and certificate records in etcd). */
import { Module } from '@nestjs/common';
import { ControllerConfig } from '../config';
import { EtcdBackend } from '../services/etcd-backend';
import { ServicesModule } from '../services/services.module';
import { EtcdCertificateRecords } from './certificate-records';
import { ClusterPki } from './cluster-pki';
import { EtcdTokenRepository } from './token-repository';

@Module({
  imports: [ServicesModule],
  providers: [
    {
      provide: ClusterPki, inject: [ControllerConfig, EtcdBackend],
      useFactory: (c: ControllerConfig, b: EtcdBackend) => ClusterPki.create({
        dataDir: c.dataDir, listenHost: c.grpcListen.host, tokens: new EtcdTokenRepository(b.connection), certificates: new EtcdCertificateRecords(b.connection),
      }),
    },
  ],
  exports: [ClusterPki],
})
export class PkiModule {}
