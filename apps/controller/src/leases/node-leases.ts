/**
 * Node heartbeats as tiny keys `/hvs/v1/leases/<node>` bound to etcd leases (TTL 8 s by default),
 * kept apart from the Node object so heartbeats never rewrite big status objects. The controller
 * calls `heartbeat(node)` whenever that node's agent heartbeats (every 2 s); a heartbeat is an
 * etcd keep-alive, not a write. When heartbeats stop, etcd expires the lease and deletes the key,
 * and `watch()` reports `Expired`: the node-lifecycle reconciler then sets Ready=Unknown.
 * Any controller replica can renew: the lease id is read back from the key when not cached.
 */
import type { IKeyValue } from 'etcd3';
import { objectKey, KEY_ROOT } from '../store/objects';
import type { EtcdConnection } from '../store/etcd-connection';
import { prefixEnd } from '../store/etcd-connection';
import { watchPrefix } from '../store/etcd-watch';
import type { EventQueue } from '../store/event-queue';
import { grantLease, keepAliveOnce, revokeLease } from './etcd-lease';

export const LEASES_PREFIX = `${KEY_ROOT}leases/`;

export interface NodeLeasesOptions {
  connection: EtcdConnection;
  /** Lease TTL, default 8 s (etcd rounds anything below its minimum, about 2 s, up). */
  ttlSeconds?: number;
  clock?: () => Date;
  /** Give up re-connecting a broken watch after this long, default 30 s. */
  watchReconnectTimeoutMs?: number;
}

export interface LeaseEvent {
  /** `Acquired`: a (new) lease key appeared; `Expired`: the key is gone (expired or released). */
  type: 'Acquired' | 'Expired';
  node: string;
  revision: string;
}

export interface HeartbeatResult {
  leaseId: string;
  /** false when a new lease had to be granted (first heartbeat, or the old one expired). */
  renewed: boolean;
}

export class NodeLeases {
  private readonly ids = new Map<string, string>();
  readonly ttlSeconds: number;

  constructor(private readonly options: NodeLeasesOptions) {
    this.ttlSeconds = options.ttlSeconds ?? 8;
  }

  private get conn(): EtcdConnection {
    return this.options.connection;
  }

  static key(node: string): string {
    objectKey('Node', node); // validates the name
    return LEASES_PREFIX + node;
  }

  /** Keeps the node's lease alive, granting a new one bound to its key when there is none. */
  async heartbeat(node: string): Promise<HeartbeatResult> {
    const key = NodeLeases.key(node);
    const id = this.ids.get(node) ?? (await this.leaseOfKey(key));
    if (id !== undefined && (await keepAliveOnce(this.conn, id)) > 0) {
      this.ids.set(node, id);
      return { leaseId: id, renewed: true };
    }
    const lease = await grantLease(this.conn, this.ttlSeconds);
    const value = JSON.stringify({ node, acquiredAt: (this.options.clock ?? (() => new Date()))().toISOString(), ttlSeconds: lease.ttlSeconds });
    await this.conn.call((o) => this.conn.client.kv.put({ key: Buffer.from(key), value: Buffer.from(value), lease: lease.id }, o));
    this.ids.set(node, lease.id);
    return { leaseId: lease.id, renewed: false };
  }

  /** Ends the node's lease now (its key disappears; watchers see Expired). */
  async release(node: string): Promise<void> {
    const key = NodeLeases.key(node);
    const id = this.ids.get(node) ?? (await this.leaseOfKey(key));
    this.ids.delete(node);
    if (id !== undefined) await revokeLease(this.conn, id);
  }

  /** Nodes holding a live lease now, and the revision to watch from. */
  async list(): Promise<{ nodes: string[]; revision: string }> {
    const prefix = Buffer.from(LEASES_PREFIX);
    const res = await this.conn.call((o) => this.conn.client.kv.range({ key: prefix, range_end: prefixEnd(prefix), keys_only: true }, o));
    return { nodes: res.kvs.map((kv) => kv.key.toString('utf8').slice(LEASES_PREFIX.length)), revision: res.header.revision };
  }

  /** Lease changes after `afterRevision` (use `list().revision`); same resume/Gone guarantees as store watches. */
  watch(afterRevision: string): EventQueue<LeaseEvent> {
    return watchPrefix<LeaseEvent>(this.conn, {
      kind: 'Lease', prefix: LEASES_PREFIX, afterRevision: Number(afterRevision),
      reconnectTimeoutMs: this.options.watchReconnectTimeoutMs ?? 30_000,
      decode: (kv: IKeyValue, type, revision) => ({
        type: type === 'DELETED' ? 'Expired' : 'Acquired', node: kv.key.toString('utf8').slice(LEASES_PREFIX.length), revision,
      }),
    });
  }

  private async leaseOfKey(key: string): Promise<string | undefined> {
    const res = await this.conn.call((o) => this.conn.client.kv.range({ key: Buffer.from(key) }, o));
    const lease = res.kvs[0]?.lease;
    return lease && lease !== '0' ? lease : undefined;
  }
}
