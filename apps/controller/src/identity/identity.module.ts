/**
 * Identity as a Nest module: the user and token records in etcd, the Authenticator both
 * transports call, and the bootstrap admin credential written into the data dir at start.
 */
import { Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { BackendModule, EtcdBackend } from '../backend';
import { ControllerConfig } from '../config';
import { ClusterPki } from '../pki/cluster-pki';
import { PkiModule } from '../pki/pki.module';
import { Authenticator } from './authenticator';
import { ensureBootstrapAdmin } from './bootstrap';
import { JsonRecords } from './json-records';
import { TOKENS_PREFIX, USERS_PREFIX, type TokenRecord, type UserRecord } from './records';

export const USER_RECORDS = Symbol('USER_RECORDS');
export const TOKEN_RECORDS = Symbol('TOKEN_RECORDS');

@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  constructor(@Inject(ControllerConfig) private readonly config: ControllerConfig, @Inject(ClusterPki) private readonly pki: ClusterPki, @Inject(USER_RECORDS) private readonly users: JsonRecords<UserRecord>) {}

  async onApplicationBootstrap(): Promise<void> {
    await ensureBootstrapAdmin({ dataDir: this.config.dataDir, ca: this.pki.ca, users: this.users });
  }
}

@Module({
  imports: [BackendModule, PkiModule],
  providers: [
    { provide: USER_RECORDS, inject: [EtcdBackend], useFactory: (b: EtcdBackend) => new JsonRecords<UserRecord>(b.connection, USERS_PREFIX) },
    { provide: TOKEN_RECORDS, inject: [EtcdBackend], useFactory: (b: EtcdBackend) => new JsonRecords<TokenRecord>(b.connection, TOKENS_PREFIX) },
    {
      provide: Authenticator, inject: [ClusterPki, USER_RECORDS, TOKEN_RECORDS],
      useFactory: (pki: ClusterPki, users: JsonRecords<UserRecord>, tokens: JsonRecords<TokenRecord>) => new Authenticator({
        ca: pki.ca, users, tokens,
        // Revocation: only the recorded certificates of a node that still exists (pki/node-certificates.ts).
        checkNode: async (_node, der) => void (await pki.certificates.verify(der)),
      }),
    },
    BootstrapAdmin,
  ],
  exports: [USER_RECORDS, TOKEN_RECORDS, Authenticator],
})
export class IdentityModule {}
