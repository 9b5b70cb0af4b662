/**
 * In-memory ObjectStore with the same semantics as EtcdStore (one revision counter, CAS,
 * batches, watch history, compaction), for unit tests of services. Knobs: `compact(revision)`
 * drops history like etcd compaction; `unavailable = true` makes every call fail like an etcd
 * outage (HVS-STORE-UNAVAILABLE).
 */
import { randomUUID } from 'node:crypto';
import { matchesLabelSelector, toLabelSelector } from '@hvs/domain';
import { notFound, unavailable, watchGone } from './errors';
import { EventQueue } from './event-queue';
import { checkDistinctKeys, decodeObject, encodeObject, kindPrefix, objectKey, planWrite } from './objects';
import { checkDistinctRecords, checkRecordExpectation, checkRecordKey, type RecordEvent, type RecordList, type RecordOp, type RecordStream } from './records';
import { batchOutcome, deleteOutcome } from './results';
import type {
  BatchResult, DeleteOptions, DeleteResult, ListOptions, ListResult, ObjectRef, ObjectStore, StoredObject, WatchEvent, WatchStream, WriteOp,
} from './types';

interface Entry {
  value: string;
  mod: number;
}

interface Change {
  key: string;
  event: WatchEvent;
}

export class MemoryStore implements ObjectStore {
  /** Fault knob: while true every call throws HVS-STORE-UNAVAILABLE. */
  unavailable = false;
  private readonly entries = new Map<string, Entry>();
  private readonly history: Change[] = [];
  private readonly watchers = new Set<{ prefix: string; queue: EventQueue<WatchEvent> }>();
  private readonly records = new Map<string, Entry>();
  private readonly recordHistory: { key: string; event: RecordEvent }[] = [];
  private readonly recordWatchers = new Set<{ prefix: string; queue: EventQueue<RecordEvent> }>();
  private revision = 1;
  private compacted = 0;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  private check(): void {
    if (this.unavailable) throw unavailable(['memory://'], new Error('the MemoryStore unavailable knob is set'));
  }

  private read(key: string): StoredObject | undefined {
    const e = this.entries.get(key);
    return e ? decodeObject(e.value, String(e.mod)) : undefined;
  }

  async get<T extends StoredObject = StoredObject>(kind: string, name: string): Promise<T> {
    this.check();
    const object = this.read(objectKey(kind, name));
    if (!object) throw notFound(kind, name);
    return object as T;
  }

  async getMany<T extends StoredObject = StoredObject>(refs: readonly ObjectRef[]): Promise<(T | undefined)[]> {
    this.check();
    return refs.map((r) => this.read(objectKey(r.kind, r.name)) as T | undefined);
  }

  async list<T extends StoredObject = StoredObject>(kind: string, options: ListOptions = {}): Promise<ListResult<T>> {
    this.check();
    const prefix = kindPrefix(kind);
    const selector = toLabelSelector(options.labelSelector);
    const items = [...this.entries.keys()].filter((k) => k.startsWith(prefix)).sort()
      .map((k) => this.read(k)!).filter((o) => matchesLabelSelector(selector, o.metadata.labels));
    return { items: items as T[], revision: String(this.revision) };
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

  /** Atomic by construction: plans are all computed (and may throw) before anything changes. */
  async applyBatch(ops: WriteOp[], records: readonly RecordOp[] = []): Promise<BatchResult> {
    this.check();
    const keys = checkDistinctKeys(ops);
    checkDistinctRecords(records);
    for (const r of records) checkRecordExpectation(r, this.records.has(r.key) ? String(this.records.get(r.key)!.mod) : undefined);
    const ctx = { now: this.clock().toISOString(), newUid: randomUUID };
    const plans = ops.map((op, i) => planWrite(op, this.read(keys[i]!), ctx));
    const writes = plans.filter((p) => p.write !== null);
    if (writes.length === 0 && records.length === 0) return batchOutcome(plans, String(this.revision));
    const rev = ++this.revision;
    for (const r of records) this.writeRecord(r, rev);
    for (const p of writes) {
      const before = this.read(p.key);
      if (p.write === 'remove') {
        this.entries.delete(p.key);
        const object = { ...p.object, metadata: { ...p.object.metadata, resourceVersion: String(rev) } };
        this.record(p.key, { type: 'DELETED', object, revision: String(rev) });
      } else {
        this.entries.set(p.key, { value: encodeObject(p.write!), mod: rev });
        this.record(p.key, { type: before ? 'MODIFIED' : 'ADDED', object: this.read(p.key)!, revision: String(rev) });
      }
    }
    return batchOutcome(plans, String(rev));
  }

  private writeRecord(r: RecordOp, rev: number): void {
    const before = this.records.get(r.key);
    if (r.op === 'remove') {
      this.records.delete(r.key);
      if (before) this.recordEvent({ type: 'DELETED', record: { key: r.key, value: JSON.parse(before.value), version: String(rev) }, revision: String(rev) });
      return;
    }
    const value = JSON.stringify(r.value);
    this.records.set(r.key, { value, mod: rev });
    this.recordEvent({ type: 'PUT', record: { key: r.key, value: JSON.parse(value), version: String(rev) }, revision: String(rev) });
  }

  private recordEvent(event: RecordEvent): void {
    this.recordHistory.push({ key: event.record.key, event });
    for (const w of this.recordWatchers) if (event.record.key.startsWith(w.prefix)) w.queue.push(structuredClone(event));
  }

  async listRecords<T = unknown>(prefix: string): Promise<RecordList<T>> {
    this.check();
    checkRecordKey(prefix, true);
    const records = [...this.records.entries()].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, e]) => ({ key, value: JSON.parse(e.value) as T, version: String(e.mod) }));
    return { records, revision: String(this.revision) };
  }

  watchRecords<T = unknown>(prefix: string, afterRevision: string): RecordStream<T> {
    checkRecordKey(prefix, true);
    const watcher = { prefix, queue: new EventQueue<RecordEvent>(() => void this.recordWatchers.delete(watcher)) };
    for (const c of this.recordHistory) if (Number(c.event.revision) > Number(afterRevision) && c.key.startsWith(prefix)) watcher.queue.push(structuredClone(c.event));
    this.recordWatchers.add(watcher);
    return watcher.queue as unknown as RecordStream<T>;
  }

  private record(key: string, event: WatchEvent): void {
    this.history.push({ key, event });
    for (const w of this.watchers) if (key.startsWith(w.prefix)) w.queue.push(structuredClone(event));
  }

  watch<T extends StoredObject = StoredObject>(kind: string, afterRevision?: string): WatchStream<T> {
    const prefix = kindPrefix(kind);
    const watcher = { prefix, queue: new EventQueue<WatchEvent>(() => void this.watchers.delete(watcher)) };
    const queue = watcher.queue;
    if (this.unavailable) {
      queue.fail(unavailable(['memory://'], new Error('the MemoryStore unavailable knob is set')));
    } else if (afterRevision !== undefined && Number(afterRevision) + 1 < this.compacted) {
      queue.fail(watchGone(kind, afterRevision, String(this.compacted)));
    } else {
      const after = afterRevision === undefined ? this.revision : Number(afterRevision);
      for (const c of this.history) {
        if (Number(c.event.revision) > after && c.key.startsWith(prefix)) queue.push(structuredClone(c.event));
      }
      this.watchers.add(watcher);
    }
    return (queue satisfies WatchStream) as WatchStream<T>;
  }

  /** Like etcd compaction: history before `revision` is gone; watching from before it gives Gone. */
  compact(revision?: string): void {
    this.compacted = revision === undefined ? this.revision : Number(revision);
    const keep = this.history.filter((c) => Number(c.event.revision) >= this.compacted);
    this.history.splice(0, this.history.length, ...keep);
  }

  async close(): Promise<void> {
    await Promise.all([...this.watchers, ...this.recordWatchers].map((w) => w.queue.close()));
  }
}
