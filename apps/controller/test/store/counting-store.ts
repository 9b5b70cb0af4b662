/**
 * An ObjectStore that forwards every call to a real store and counts them: how many reads and
 * write transactions a piece of code caused (the batching tests assert these counts, never
 * times). `beforeBatch` runs before each forwarded write, so a test can slip another writer's
 * change in between a decision and its commit.
 */
import type {
  BatchResult, DeleteOptions, DeleteResult, ListOptions, ListResult, ObjectRef, ObjectStore, RecordList, RecordOp, RecordStream, StoredObject, WatchStream, WriteOp,
} from '../../src/store';

export class CountingStore implements ObjectStore {
  /** Single-object reads, multi-object reads, lists, and write calls (each is one store transaction). */
  readonly counts = { get: 0, getMany: 0, list: 0, writes: 0 };
  /** Ops carried by each write call, in call order. */
  readonly batchSizes: number[] = [];
  beforeBatch: ((ops: WriteOp[]) => Promise<void>) | undefined;

  constructor(readonly inner: ObjectStore) {}

  get<T extends StoredObject = StoredObject>(kind: string, name: string): Promise<T> {
    this.counts.get++;
    return this.inner.get<T>(kind, name);
  }

  getMany<T extends StoredObject = StoredObject>(refs: readonly ObjectRef[]): Promise<(T | undefined)[]> {
    this.counts.getMany++;
    return this.inner.getMany<T>(refs);
  }

  list<T extends StoredObject = StoredObject>(kind: string, options?: ListOptions): Promise<ListResult<T>> {
    this.counts.list++;
    return this.inner.list<T>(kind, options);
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

  async delete<T extends StoredObject = StoredObject>(kind: string, name: string, options?: DeleteOptions): Promise<DeleteResult<T>> {
    const r = (await this.applyBatch([{ op: 'delete', kind, name, resourceVersion: options?.resourceVersion }])).results[0]!;
    return { object: r.object as T, deleted: r.outcome === 'deleted' };
  }

  async applyBatch(ops: WriteOp[], records?: readonly RecordOp[]): Promise<BatchResult> {
    await this.beforeBatch?.(ops);
    this.counts.writes++;
    this.batchSizes.push(ops.length);
    return this.inner.applyBatch(ops, records);
  }

  listRecords<T = unknown>(prefix: string): Promise<RecordList<T>> {
    return this.inner.listRecords<T>(prefix);
  }

  watchRecords<T = unknown>(prefix: string, afterRevision: string): RecordStream<T> {
    return this.inner.watchRecords<T>(prefix, afterRevision);
  }

  watch<T extends StoredObject = StoredObject>(kind: string, afterRevision?: string): WatchStream<T> {
    return this.inner.watch<T>(kind, afterRevision);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
