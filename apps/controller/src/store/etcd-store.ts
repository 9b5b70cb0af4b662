/**
 * ObjectStore on etcd. Layout: `/hvs/v1/<kind lowercased>/<name>` -> the object as JSON, without
 * resourceVersion (that is the key's mod_revision). Every write, single or batch, is ONE etcd
 * transaction whose compares pin every touched key (create: create_revision == 0; otherwise
 * mod_revision == the version read), so a stale writer changes nothing. Ops the caller did not
 * pin are re-read and re-planned a few times on a lost race; pinned ones fail with Conflict.
 */
import { randomUUID } from 'node:crypto';
import { type ICompare, type IKeyValue, type IRequestOp } from 'etcd3';
import { matchesLabelSelector, toLabelSelector } from '@hvs/domain';
import { batchTooLarge, conflict, invalidWrite, isEtcdSizeLimit, notFound, RAISE_ETCD_LIMITS } from './errors';
import { EtcdConnection, prefixEnd, type EtcdConnectionOptions } from './etcd-connection';
import { watchPrefix } from './etcd-watch';
import { checkDistinctKeys, decodeObject, encodeObject, kindPrefix, objectKey, planWrite, type PlannedWrite } from './objects';
import { checkDistinctRecords, checkRecordExpectation, checkRecordKey, type RecordEvent, type RecordList, type RecordOp, type RecordStream, type StoredRecord } from './records';
import { batchOutcome, deleteOutcome } from './results';
import { plainFromStorage, plainToStorage, type ValueTransformer } from './value-transformer';
import type {
  BatchResult, DeleteOptions, DeleteResult, ListOptions, ListResult, ObjectRef, ObjectStore, StoredObject, WatchEvent, WatchStream, WriteOp,
} from './types';

export interface EtcdStoreOptions extends EtcdConnectionOptions {
  /** Give up re-connecting a broken watch after this long (HVS-STORE-UNAVAILABLE), default 30 s. */
  watchReconnectTimeoutMs?: number;
  /** etcd's --max-txn-ops (default 128): bigger batches are refused up front with a clear error. */
  maxTxnOps?: number;
  /** Attempts for ops without a caller-pinned resourceVersion that lose a race, default 5. */
  maxAttempts?: number;
  clock?: () => Date;
  /** Share an existing connection (not closed by this store's close()). */
  connection?: EtcdConnection;
  /**
   * Encryption at rest (value-transformer.ts). Without one, the store writes plain JSON and
   * refuses the kinds that must be encrypted (Secret) with HVS-ENCRYPTION-REQUIRED.
   */
  transformer?: ValueTransformer;
}

export class EtcdStore implements ObjectStore {
  readonly connection: EtcdConnection;
  private readonly ownsConnection: boolean;
  private readonly watches = new Set<WatchStream>();

  /** Most operations one applyBatch may hold: etcd's --max-txn-ops as configured. */
  get maxBatchOps(): number {
    return this.options.maxTxnOps ?? 128;
  }

  constructor(private readonly options: EtcdStoreOptions) {
    this.ownsConnection = !options.connection;
    this.connection = options.connection ?? new EtcdConnection(options);
  }

  private get kv() {
    return this.connection.client.kv;
  }

  async get<T extends StoredObject = StoredObject>(kind: string, name: string): Promise<T> {
    const key = objectKey(kind, name);
    const res = await this.connection.call((o) => this.kv.range({ key: Buffer.from(key) }, o));
    const kv = res.kvs[0];
    if (!kv) throw notFound(kind, name);
    return this.decodeKv<T>(kv);
  }

  async getMany<T extends StoredObject = StoredObject>(refs: readonly ObjectRef[]): Promise<(T | undefined)[]> {
    const keys = refs.map((r) => objectKey(r.kind, r.name));
    const max = this.maxBatchOps;
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += max) chunks.push(keys.slice(i, i + max));
    const reads = await Promise.all(chunks.map((chunk) =>
      this.connection.call((o) => this.kv.txn({ success: chunk.map((k) => ({ request_range: { key: Buffer.from(k) } })) }, o))));
    return reads.flatMap((read) => read.responses.map((r) => (r.response_range.kvs[0] ? this.decodeKv<T>(r.response_range.kvs[0]) : undefined)));
  }

  async list<T extends StoredObject = StoredObject>(kind: string, options: ListOptions = {}): Promise<ListResult<T>> {
    const selector = toLabelSelector(options.labelSelector);
    const prefix = Buffer.from(kindPrefix(kind));
    const res = await this.connection.call((o) => this.kv.range({ key: prefix, range_end: prefixEnd(prefix) }, o));
    const items = res.kvs.map((kv) => this.decodeKv<T>(kv)).filter((obj) => matchesLabelSelector(selector, obj.metadata.labels));
    return { items, revision: res.header.revision };
  }

  async create<T extends StoredObject>(object: T): Promise<T> {
    return (await this.applyBatch([{ op: 'create', object }])).results[0]!.object as T;
  }

  async update<T extends StoredObject>(object: T): Promise<T> {
    return (await this.applyBatch([{ op: 'update', object }])).results[0]!.object as T;
  }

  async updateStatus<T extends StoredObject>(object: T): Promise<T> {
    return (await this.applyBatch([{ op: 'updateStatus', object }])).results[0]!.object as T;
  }

  async delete<T extends StoredObject = StoredObject>(kind: string, name: string, options: DeleteOptions = {}): Promise<DeleteResult<T>> {
    return deleteOutcome(await this.applyBatch([{ op: 'delete', kind, name, resourceVersion: options.resourceVersion, dropFinalizers: options.dropFinalizers }])) as DeleteResult<T>;
  }

  async applyBatch(ops: WriteOp[], records: readonly RecordOp[] = []): Promise<BatchResult> {
    const max = this.maxBatchOps;
    if (ops.length + records.length > max) {
      throw invalidWrite(`the batch has ${ops.length + records.length} operations, more than the ${max} one etcd transaction may hold`,
        'a batch is written in one etcd transaction (all or nothing), and etcd limits its size (--max-txn-ops)',
        `split the apply into batches of at most ${max} objects, ${RAISE_ETCD_LIMITS}`);
    }
    const keys = checkDistinctKeys(ops);
    checkDistinctRecords(records);
    const attempts = this.options.maxAttempts ?? 5;
    // Only creates (audit records, new objects): their compare (key absent) needs nothing read, so
    // the first attempt skips the read; if a key exists after all, the next attempt reads and
    // planWrite gives AlreadyExists as usual.
    const blind = records.length === 0 && ops.length > 0 && ops.every((op) => op.op === 'create');
    const readKeys = [...keys, ...records.map((r) => r.key)];
    for (let attempt = 1; ; attempt++) {
      let current: (StoredObject | undefined)[] = ops.map(() => undefined);
      let readRevision = '';
      if (!blind || attempt > 1) {
        // One read transaction: every current object and record comes from the same revision.
        const read = await this.connection.call((o) => this.kv.txn({ success: readKeys.map((k) => ({ request_range: { key: Buffer.from(k) } })) }, o));
        current = read.responses.slice(0, keys.length).map((r) => (r.response_range.kvs[0] ? this.decodeKv(r.response_range.kvs[0]) : undefined));
        // A record not where the caller decided it was: Conflict now (the caller re-reads and decides again).
        records.forEach((r, i) => checkRecordExpectation(r, read.responses[keys.length + i]!.response_range.kvs[0]?.mod_revision));
        readRevision = read.header.revision;
      }
      const ctx = { now: (this.options.clock ?? (() => new Date()))().toISOString(), newUid: randomUUID };
      const plans = ops.map((op, i) => planWrite(op, current[i], ctx));
      const writes = plans.filter((p) => p.write !== null);
      if (writes.length === 0 && records.length === 0) return batchOutcome(plans, readRevision);
      const success = [...writes.map((p) => this.requestOf(p)), ...records.map((r) => this.recordRequestOf(r))];
      const compare = [...plans.map(compareOf), ...records.map(recordCompareOf)];
      const res = await this.connection.call((o) => this.kv.txn({ compare, success }, o)).catch((e: unknown) => {
        if (!isEtcdSizeLimit(e)) throw e;
        throw batchTooLarge(ops.length, success.reduce((n, r) => n + (r.request_put?.value?.length ?? 0), 0), e);
      });
      if (res.succeeded) return batchOutcome(plans, res.header.revision);
      if (attempt >= attempts) {
        const p = plans[0];
        throw conflict(p?.kind ?? 'record', p?.name ?? records[0]!.key, `lost the race to concurrent writers ${attempts} times`);
      }
      // Someone wrote in between: re-read; pinned ops now fail in planWrite with Conflict.
    }
  }

  async listRecords<T = unknown>(prefix: string): Promise<RecordList<T>> {
    checkRecordKey(prefix, true);
    const p = Buffer.from(prefix);
    const res = await this.connection.call((o) => this.kv.range({ key: p, range_end: prefixEnd(p) }, o));
    return { records: res.kvs.map((kv) => this.decodeRecord<T>(kv)), revision: res.header.revision };
  }

  watchRecords<T = unknown>(prefix: string, afterRevision: string): RecordStream<T> {
    checkRecordKey(prefix, true);
    const decode = (kv: IKeyValue, type: 'ADDED' | 'MODIFIED' | 'DELETED', revision: string): RecordEvent<T> =>
      ({ type: type === 'DELETED' ? 'DELETED' : 'PUT', record: this.decodeRecord<T>(kv), revision });
    const stream = watchPrefix<RecordEvent<T>>(this.connection, {
      kind: 'record', prefix, afterRevision: Number(afterRevision), reconnectTimeoutMs: this.options.watchReconnectTimeoutMs ?? 30_000, decode,
    });
    // Tracked like object watches: close() of the store ends it.
    return this.track(stream as unknown as WatchStream) as unknown as RecordStream<T>;
  }

  private decodeRecord<T>(kv: IKeyValue): StoredRecord<T> {
    const key = kv.key.toString('utf8');
    const text = this.options.transformer ? this.options.transformer.fromStorage(key, kv.value) : plainFromStorage(key, kv.value);
    return { key, value: JSON.parse(text) as T, version: kv.mod_revision };
  }

  private recordRequestOf(r: RecordOp): IRequestOp {
    const key = Buffer.from(r.key);
    return r.op === 'remove' ? { request_delete_range: { key } } : { request_put: { key, value: this.toStorage(r.key, JSON.stringify(r.value)) } };
  }

  watch<T extends StoredObject = StoredObject>(kind: string, afterRevision?: string): WatchStream<T> {
    const prefix = kindPrefix(kind);
    const reconnectTimeoutMs = this.options.watchReconnectTimeoutMs ?? 30_000;
    const decode = (kv: IKeyValue, type: WatchEvent['type'], revision: string): WatchEvent => ({ type, object: this.decodeKv(kv), revision });
    if (afterRevision !== undefined) {
      return this.track(watchPrefix(this.connection, { kind, prefix, afterRevision: Number(afterRevision), reconnectTimeoutMs, decode }));
    }
    // "From now": resolve now to a concrete revision first, so a resume has a number to start from.
    let inner: WatchStream | undefined;
    let closed = false;
    const currentRevision = () => this.connection.call((o) => this.kv.range({ key: Buffer.from(prefix), count_only: true }, o));
    const start = (rev: string) => (inner = this.track(watchPrefix(this.connection, { kind, prefix, afterRevision: Number(rev), reconnectTimeoutMs, decode })));
    const now = currentRevision();
    now.catch(() => undefined); // surfaced by the iterator
    const outer: WatchStream = {
      async *[Symbol.asyncIterator]() {
        const res = await now;
        if (closed) return;
        yield* start(res.header.revision);
      },
      async close() {
        closed = true;
        await inner?.close();
      },
      get buffered() {
        return inner?.buffered ?? 0;
      },
    };
    return outer as WatchStream<T>;
  }

  /** Drops history before `revision` (etcd compaction); watches from before it get Gone. Tests and maintenance. */
  async compact(revision: string): Promise<void> {
    await this.connection.call((o) => this.kv.compact({ revision, physical: true }, o));
  }

  private track<T extends StoredObject>(stream: WatchStream): WatchStream<T> {
    this.watches.add(stream);
    const close = stream.close.bind(stream);
    stream.close = async () => {
      this.watches.delete(stream);
      await close();
    };
    return stream as WatchStream<T>;
  }

  /** The bytes stored for `key` (sealed when the transformer covers it). */
  toStorage(key: string, plain: string): Buffer {
    return this.options.transformer ? this.options.transformer.toStorage(key, plain) : plainToStorage(key, plain);
  }

  private decodeKv<T extends StoredObject>(kv: IKeyValue): T {
    const key = kv.key.toString('utf8');
    const text = this.options.transformer ? this.options.transformer.fromStorage(key, kv.value) : plainFromStorage(key, kv.value);
    return decodeObject<T>(text, kv.mod_revision);
  }

  private requestOf(p: PlannedWrite): IRequestOp {
    const key = Buffer.from(p.key);
    return p.write === 'remove' ? { request_delete_range: { key } } : { request_put: { key, value: this.toStorage(p.key, encodeObject(p.write!)) } };
  }

  async close(): Promise<void> {
    await Promise.all([...this.watches].map((w) => w.close()));
    if (this.ownsConnection) this.connection.close();
  }
}

function recordCompareOf(r: RecordOp): ICompare {
  const key = Buffer.from(r.key);
  return r.expect === null
    ? { key, target: 'Create', result: 'Equal', create_revision: 0 }
    : { key, target: 'Mod', result: 'Equal', mod_revision: r.expect };
}

function compareOf(p: PlannedWrite): ICompare {
  const key = Buffer.from(p.key);
  return p.expect === null
    ? { key, target: 'Create', result: 'Equal', create_revision: 0 }
    : { key, target: 'Mod', result: 'Equal', mod_revision: p.expect };
}
