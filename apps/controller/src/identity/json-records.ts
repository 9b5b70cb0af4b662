/**
 * JSON records under one etcd prefix (users, API tokens, sessions, tickets): the controller's
 * private keys, outside the object store, so no Get/List/Watch of the API can ever return them.
 */
import type { EtcdConnection } from '../store/etcd-connection';
import { prefixEnd } from '../store/etcd-connection';
import { grantLease } from '../leases/etcd-lease';

export interface Versioned<T> {
  value: T;
  /** etcd mod_revision: changes on every write. */
  version: string;
}

export class JsonRecords<T> {
  constructor(private readonly connection: EtcdConnection, readonly prefix: string) {}

  private get kv() {
    return this.connection.client.kv;
  }

  private key(id: string): Buffer {
    return Buffer.from(this.prefix + id);
  }

  async get(id: string): Promise<Versioned<T> | undefined> {
    const res = await this.connection.call((o) => this.kv.range({ key: this.key(id) }, o));
    const kv = res.kvs[0];
    return kv && { value: JSON.parse(kv.value.toString('utf8')) as T, version: kv.mod_revision };
  }

  /** Create-only unless `version` is given (then: only if still at that version). ttlSeconds binds the key to a lease. */
  async put(id: string, value: T, o: { version?: string; createOnly?: boolean; ttlSeconds?: number } = {}): Promise<boolean> {
    const key = this.key(id);
    const lease = o.ttlSeconds !== undefined ? (await grantLease(this.connection, Math.max(Math.ceil(o.ttlSeconds), 1))).id : undefined;
    const compare = o.version !== undefined ? [{ key, target: 'Mod' as const, result: 'Equal' as const, mod_revision: o.version }]
      : o.createOnly ? [{ key, target: 'Create' as const, result: 'Equal' as const, create_revision: 0 }] : [];
    const res = await this.connection.call((c) => this.kv.txn({ compare, success: [{ request_put: { key, value: Buffer.from(JSON.stringify(value)), ...(lease ? { lease } : {}) } }] }, c));
    return res.succeeded;
  }

  /** Deletes only while the record is at `version` (when given): of concurrent takers exactly one wins. */
  async remove(id: string, version?: string): Promise<boolean> {
    const key = this.key(id);
    if (version === undefined) {
      const res = await this.connection.call((o) => this.kv.deleteRange({ key }, o));
      return Number(res.deleted) > 0;
    }
    const res = await this.connection.call((o) => this.kv.txn({
      compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: version }],
      success: [{ request_delete_range: { key } }],
    }, o));
    return res.succeeded;
  }

  async list(): Promise<T[]> {
    const prefix = Buffer.from(this.prefix);
    const res = await this.connection.call((o) => this.kv.range({ key: prefix, range_end: prefixEnd(prefix) }, o));
    return res.kvs.map((kv) => JSON.parse(kv.value.toString('utf8')) as T);
  }
}
