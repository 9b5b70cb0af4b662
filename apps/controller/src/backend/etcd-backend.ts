/**
 * The controller's one etcd client and what is built on it: the object store and the node
 * leases. Closed when the Nest app shuts down; registers an `etcd` readiness check.
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import { EtcdConnection, EtcdStore, type EtcdConnectionOptions, type ValueTransformer } from '../store';
import { NodeLeases } from '../leases';

export interface EtcdBackendOptions {
  endpoints: readonly string[];
  /** etcd client TLS (ControllerConfig's etcd*File settings, read by readEtcdCredentials). */
  credentials?: EtcdConnectionOptions['credentials'];
  /** Deadline of every store call including retries (HVS-STORE-UNAVAILABLE after it), default 5 s. */
  callTimeoutMs?: number;
  leaseTtlSeconds?: number;
  /** etcd's --max-txn-ops, default 128. */
  maxTxnOps?: number;
  /** Encryption at rest, from the key file of the data dir. */
  transformer: ValueTransformer;
}

export class EtcdBackend implements OnApplicationShutdown {
  readonly connection: EtcdConnection;
  readonly store: EtcdStore;
  readonly leases: NodeLeases;
  readonly transformer: ValueTransformer;

  constructor(options: EtcdBackendOptions) {
    this.connection = new EtcdConnection({
      endpoints: [...options.endpoints], callTimeoutMs: options.callTimeoutMs ?? 5_000, ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    this.transformer = options.transformer;
    this.store = new EtcdStore({ endpoints: [...options.endpoints], connection: this.connection, maxTxnOps: options.maxTxnOps, transformer: options.transformer });
    this.leases = new NodeLeases({ connection: this.connection, ttlSeconds: options.leaseTtlSeconds });
  }

  /** Resolves when etcd answers a read within the call deadline. */
  async ping(): Promise<void> {
    await this.connection.call((o) => this.connection.client.kv.range({ key: Buffer.from('/hvs/v1/'), count_only: true }, o));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    this.connection.close();
  }
}
