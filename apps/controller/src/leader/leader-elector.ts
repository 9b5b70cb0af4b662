/**
 * Leader election on one key, `/hvs/v1/leader` = {id, address}, bound to this replica's etcd lease
 * (TTL 8 s by default) and created only if absent (txn: create_revision == 0). Guarantees:
 * - at most one replica believes it leads while its lease can be alive: a leader renews every
 *   TTL/3 and steps down on its own clock once `sent time of the last successful renewal + TTL`
 *   has passed, which is never later than etcd's expiry of the lease;
 * - followers watch the key and campaign again as soon as it is deleted (resign, lease expiry),
 *   so a dead leader is replaced within about one TTL;
 * - `resign()` deletes the key at once (revoking the lease), handing over immediately.
 */
import type { EtcdConnection } from '../store/etcd-connection';
import { watchPrefix } from '../store/etcd-watch';
import { KEY_ROOT } from '../store/objects';
import { grantLease, keepAliveOnce, revokeLease } from '../leases/etcd-lease';

export const LEADER_KEY = `${KEY_ROOT}leader`;

export interface LeaderInfo {
  id: string;
  address?: string;
}

export interface LeaderElectorOptions {
  connection: EtcdConnection;
  /** This replica's id (unique per process, e.g. hostname + pid). */
  id: string;
  /** Where this replica serves its API, for followers to point clients at. */
  address?: string;
  ttlSeconds?: number;
  key?: string;
  /** Called with errors that the loop retries (etcd unavailable...); default: ignored. */
  onError?: (e: unknown) => void;
}

type Listener = (isLeader: boolean) => void;

export class LeaderElector {
  private leading = false;
  private running = false;
  private stopped = false;
  private leaseId: string | undefined;
  private validUntil = 0;
  private readonly listeners = new Set<Listener>();
  private readonly sleepers = new Set<() => void>();
  private loop: Promise<void> | undefined;
  private readonly ttl: number;
  private readonly key: string;

  constructor(private readonly options: LeaderElectorOptions) {
    this.ttl = options.ttlSeconds ?? 8;
    this.key = options.key ?? LEADER_KEY;
  }

  get isLeader(): boolean {
    return this.leading && Date.now() < this.validUntil;
  }

  /** Subscribes to leadership changes; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts campaigning (idempotent); resolves once this replica leads, or when it resigns first. */
  campaign(): Promise<void> {
    if (!this.running) {
      this.running = true;
      this.stopped = false;
      this.loop = this.run();
    }
    return new Promise((resolve) => {
      if (this.leading) return resolve();
      const off = this.onChange((lead) => {
        if (lead) {
          off();
          resolve();
        }
      });
      void this.loop!.then(() => {
        off();
        resolve();
      });
    });
  }

  /** The current leader as stored in etcd (any replica may ask). */
  async leader(): Promise<LeaderInfo | undefined> {
    const conn = this.options.connection;
    const res = await conn.call((o) => conn.client.kv.range({ key: Buffer.from(this.key) }, o));
    const kv = res.kvs[0];
    return kv ? (JSON.parse(kv.value.toString('utf8')) as LeaderInfo) : undefined;
  }

  /** Stops campaigning; if leading, gives up the key now so another replica takes over at once. */
  async resign(): Promise<void> {
    this.stopped = true;
    this.wakeAll();
    await this.loop;
    this.running = false;
  }

  private setLeading(value: boolean): void {
    if (this.leading === value) return;
    this.leading = value;
    for (const l of [...this.listeners]) l(value);
  }

  private async run(): Promise<void> {
    const conn = this.options.connection;
    while (!this.stopped) {
      try {
        const lease = await grantLease(conn, this.ttl);
        this.leaseId = lease.id;
        const sent = Date.now();
        this.validUntil = sent + lease.ttlSeconds * 1000;
        await this.holdOrWait(lease.id, lease.ttlSeconds);
      } catch (e) {
        this.options.onError?.(e);
        await this.pause(500);
      } finally {
        this.setLeading(false);
        const id = this.leaseId;
        this.leaseId = undefined;
        if (id !== undefined) await revokeLease(conn, id).catch(() => undefined);
      }
    }
  }

  /** Returns when the lease is lost or the elector stops; throws on etcd errors (caller retries). */
  private async holdOrWait(leaseId: string, ttlSeconds: number): Promise<void> {
    const conn = this.options.connection;
    const value = Buffer.from(JSON.stringify({ id: this.options.id, address: this.options.address }));
    const renewEvery = Math.max(200, (ttlSeconds * 1000) / 3);
    let lost = false;
    const renew = setInterval(() => {
      const sent = Date.now();
      keepAliveOnce(conn, leaseId).then((ttl) => {
        if (ttl <= 0) lost = true;
        else this.validUntil = Math.max(this.validUntil, sent + ttl * 1000);
        if (lost) this.wakeAll();
      }, (e) => this.options.onError?.(e));
    }, renewEvery);
    try {
      while (!this.stopped && !lost && Date.now() < this.validUntil) {
        const key = Buffer.from(this.key);
        const res = await conn.call((o) => conn.client.kv.txn({
          compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
          success: [{ request_put: { key, value, lease: leaseId } }],
          failure: [{ request_range: { key } }],
        }, o));
        const holder = res.succeeded ? undefined : res.responses[0]?.response_range.kvs[0];
        if (res.succeeded || holder?.lease === leaseId) {
          this.setLeading(true);
          // Lead until the lease is lost, its local validity runs out, or we resign.
          while (!this.stopped && !lost && Date.now() < this.validUntil) await this.pause(Math.min(renewEvery, this.validUntil - Date.now()));
          return;
        }
        await this.untilDeleted(res.header.revision, renewEvery);
      }
    } finally {
      clearInterval(renew);
    }
  }

  /** Waits for the leader key to be deleted after `revision` (or a renewal period, to re-check). */
  private async untilDeleted(revision: string, maxWaitMs: number): Promise<void> {
    const watch = watchPrefix(this.options.connection, {
      kind: 'Leader', prefix: this.key, afterRevision: Number(revision), reconnectTimeoutMs: maxWaitMs,
      decode: (_kv, type) => type,
    });
    const deleted = (async () => {
      for await (const type of watch) if (type === 'DELETED') return;
    })().catch(() => undefined);
    await Promise.race([deleted, this.pause(maxWaitMs)]);
    await watch.close();
  }

  /** A wake-able delay: resign() and a lost lease cut it short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.sleepers.add(done);
    });
  }

  private wakeAll(): void {
    for (const done of [...this.sleepers]) done();
  }
}
