/**
 * Where join tokens live. Only a SHA-256 of each token's secret is stored, so reading etcd (or
 * a backup of it) never yields a usable token. `take` is the one-time guarantee: a delete that
 * succeeds only while the record is still at the version the caller read, so of any number of
 * concurrent joins with one token exactly one removes it; `update` is the same compare-and-swap
 * for counting down a multi-use token.
 */
import type { EtcdConnection } from '../store/etcd-connection';
import { prefixEnd } from '../store/etcd-connection';
import { grantLease } from '../leases/etcd-lease';

export interface JoinTokenRecord {
  /** Public part of the token; names it in `list` and `revoke`. */
  id: string;
  /** Hex SHA-256 of the secret part. */
  secretSha256: string;
  createdAt: string;
  expiresAt: string;
  /** Set when the token may only join this node name. */
  nodeName?: string;
  /** Minted to replace the existing node `nodeName`. */
  replace?: true;
  /** Joins left of a multi-use token; absent: a one-time token. */
  usesLeft?: number;
}

export interface StoredToken {
  record: JoinTokenRecord;
  /** Opaque; changes on every write of the record. */
  version: string;
}

export interface TokenRepository {
  /** Create-only: false when a record with this id exists. */
  create(record: JoinTokenRecord): Promise<boolean>;
  get(id: string): Promise<StoredToken | undefined>;
  /** Deletes the record only if it is still at `version`; true for the single caller that did. */
  take(id: string, version: string): Promise<boolean>;
  /** Rewrites the record only if it is still at `version` (a multi-use token's count). */
  update(record: JoinTokenRecord, version: string): Promise<boolean>;
  /** Unconditional delete (revoke); true when something was deleted. */
  remove(id: string): Promise<boolean>;
  list(): Promise<JoinTokenRecord[]>;
}

export class MemoryTokenRepository implements TokenRepository {
  private readonly records = new Map<string, StoredToken>();
  private version = 0;

  async create(record: JoinTokenRecord): Promise<boolean> {
    if (this.records.has(record.id)) return false;
    this.records.set(record.id, { record: { ...record }, version: String(++this.version) });
    return true;
  }

  async get(id: string): Promise<StoredToken | undefined> {
    const s = this.records.get(id);
    return s && { record: { ...s.record }, version: s.version };
  }

  async take(id: string, version: string): Promise<boolean> {
    if (this.records.get(id)?.version !== version) return false;
    return this.records.delete(id);
  }

  async update(record: JoinTokenRecord, version: string): Promise<boolean> {
    if (this.records.get(record.id)?.version !== version) return false;
    this.records.set(record.id, { record: { ...record }, version: String(++this.version) });
    return true;
  }

  async remove(id: string): Promise<boolean> {
    return this.records.delete(id);
  }

  async list(): Promise<JoinTokenRecord[]> {
    return [...this.records.values()].map((s) => ({ ...s.record })).sort((a, b) => a.id.localeCompare(b.id));
  }
}

export const JOIN_TOKEN_PREFIX = '/hvs/v1/pki/join-tokens/';
/** etcd drops a token record this long after it expires; until then consume says "expired" instead of "invalid". */
export const EXPIRED_TOKEN_GRACE_MS = 24 * 3_600_000;

/**
 * Records at `/hvs/v1/pki/join-tokens/<id>`, each bound to an etcd lease that outlives the
 * token by a day, so unused tokens clean themselves up. Expiry itself is decided by the
 * caller's clock, not by the lease.
 */
export class EtcdTokenRepository implements TokenRepository {
  constructor(private readonly connection: EtcdConnection) {}

  private get kv() {
    return this.connection.client.kv;
  }

  async create(record: JoinTokenRecord): Promise<boolean> {
    const ttlMs = new Date(record.expiresAt).getTime() - Date.now() + EXPIRED_TOKEN_GRACE_MS;
    const lease = await grantLease(this.connection, Math.min(Math.max(Math.ceil(ttlMs / 1000), 60), 60 * 86_400));
    const key = Buffer.from(JOIN_TOKEN_PREFIX + record.id);
    const res = await this.connection.call((o) => this.kv.txn({
      compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key, value: Buffer.from(JSON.stringify(record)), lease: lease.id } }],
    }, o));
    return res.succeeded;
  }

  async get(id: string): Promise<StoredToken | undefined> {
    const res = await this.connection.call((o) => this.kv.range({ key: Buffer.from(JOIN_TOKEN_PREFIX + id) }, o));
    const kv = res.kvs[0];
    return kv && { record: JSON.parse(kv.value.toString('utf8')) as JoinTokenRecord, version: kv.mod_revision };
  }

  /**
   * One transaction: compare mod_revision, then delete. If the response is lost and the call
   * retried, the retry finds the key gone and reports false: a token is never used twice, at
   * worst the one legitimate join is told to get a new token.
   */
  async take(id: string, version: string): Promise<boolean> {
    const key = Buffer.from(JOIN_TOKEN_PREFIX + id);
    const res = await this.connection.call((o) => this.kv.txn({
      compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: version }],
      success: [{ request_delete_range: { key } }],
    }, o));
    return res.succeeded;
  }

  /** Same key, same lease (ignore_lease keeps the one the record was created with). */
  async update(record: JoinTokenRecord, version: string): Promise<boolean> {
    const key = Buffer.from(JOIN_TOKEN_PREFIX + record.id);
    const res = await this.connection.call((o) => this.kv.txn({
      compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: version }],
      success: [{ request_put: { key, value: Buffer.from(JSON.stringify(record)), ignore_lease: true } }],
    }, o));
    return res.succeeded;
  }

  async remove(id: string): Promise<boolean> {
    const res = await this.connection.call((o) => this.kv.deleteRange({ key: Buffer.from(JOIN_TOKEN_PREFIX + id) }, o));
    return Number(res.deleted) > 0;
  }

  async list(): Promise<JoinTokenRecord[]> {
    const prefix = Buffer.from(JOIN_TOKEN_PREFIX);
    const res = await this.connection.call((o) => this.kv.range({ key: prefix, range_end: prefixEnd(prefix) }, o));
    return res.kvs.map((kv) => JSON.parse(kv.value.toString('utf8')) as JoinTokenRecord);
  }
}
