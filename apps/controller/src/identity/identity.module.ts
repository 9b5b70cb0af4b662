/**
 * Identity as a Nest module: the user and token records in etcd, the Authenticator both
 * transports call, and the bootstrap admin credential written into the data dir at start.
 */
import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../observability';
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

const BOOTSTRAP_RETRY_MS = 2_000;

/**
 * Makes sure the bootstrap admin exists without holding start-up hostage to etcd (the controller
 * starts, unready, while etcd is away): tried at start and retried in the background until it
 * succeeds or the app shuts down. `recorded` settles once the admin is on record; until then
 * its certificate is refused (hvctl up retries that refusal for a few seconds).
 */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap, OnApplicationShutdown {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private done!: () => void;
  readonly recorded = new Promise<void>((resolve) => (this.done = resolve));

  constructor(@Inject(ControllerConfig) private readonly config: ControllerConfig, @Inject(ClusterPki) private readonly pki: ClusterPki,
    @Inject(USER_RECORDS) private readonly users: JsonRecords<UserRecord>, @Inject(LOGGER) private readonly log: Logger) {}

  onApplicationBootstrap(): void {
    void this.attempt();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async attempt(): Promise<void> {
    try {
      await ensureBootstrapAdmin({ dataDir: this.config.dataDir, ca: this.pki.ca, users: this.users });
      this.done();
    } catch (err) {
      if (this.stopped) return;
      this.log.warn({ component: 'identity', err }, 'could not record the bootstrap admin yet; retrying');
      this.timer = setTimeout(() => void this.attempt(), BOOTSTRAP_RETRY_MS);
      this.timer.unref();
    }
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
  exports: [USER_RECORDS, TOKEN_RECORDS, Authenticator, BootstrapAdmin],
})
export class IdentityModule {}
