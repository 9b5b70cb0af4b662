import type { LabelSelector, Resource } from '@hvs/domain';
import type { RecordList, RecordOp, RecordStream } from './records';

/**
 * What the store holds: a domain Resource (libs/domain kinds/meta.ts: apiVersion, kind,
 * ObjectMeta, spec, status) of any kind. The kind's own type (VirtualMachine, Node...) fits
 * it as it is; spec and status were validated by the kind's schema at the API edge.
 */
export type StoredObject = Resource<string, unknown, unknown>;

/** Where one object lives: its kind and name. */
export interface ObjectRef {
  kind: string;
  name: string;
}

export interface ListOptions {
  /** `a=b,c!=d,e in (x,y),f notin (z),g,!h`, or an already parsed selector. */
  labelSelector?: string | LabelSelector;
}

export interface ListResult<T extends StoredObject = StoredObject> {
  items: T[];
  /** The store revision the list was read at: pass it to `watch` to continue with no gap. */
  revision: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends StoredObject = StoredObject> {
  type: WatchEventType;
  /** For DELETED: the last state, with resourceVersion = the deletion revision. */
  object: T;
  /** The store revision of this change. */
  revision: string;
}

/**
 * An open watch. Iterate it once; `close()` ends the iteration and frees the server side (also
 * while an iteration waits). It holds at most about WATCH_QUEUE_HIGH_WATER events for a slow
 * consumer (etcd store; the MemoryStore, a test double, does not bound).
 */
export interface WatchStream<T extends StoredObject = StoredObject> extends AsyncIterable<WatchEvent<T>> {
  close(): Promise<void>;
  /** Events received and not yet taken by the consumer. */
  readonly buffered?: number;
}

export interface DeleteOptions {
  /** Precondition: delete only if the object is still at this version (else Conflict). */
  resourceVersion?: string;
  /**
   * Finalizers removed in the same write (nothing left to clean up for them, or a forced
   * delete); when none remain the object goes at once.
   */
  dropFinalizers?: readonly string[];
}

export interface DeleteResult<T extends StoredObject = StoredObject> {
  /** The removed object, or the object now carrying deletionTimestamp. */
  object: T;
  /** false while finalizers remain: the object is terminating, not gone. */
  deleted: boolean;
}

/**
 * One write of a batch. `update` and `updateStatus` compare `metadata.resourceVersion` when the
 * caller sets it (stale -> Conflict); without it the store re-reads and compares what it read.
 */
export type WriteOp =
  /** `uid`: the uid the new object gets (default: a fresh one), so records of the same batch can name it. */
  | { op: 'create'; object: StoredObject; uid?: string }
  | { op: 'update'; object: StoredObject }
  | { op: 'updateStatus'; object: StoredObject }
  | { op: 'delete'; kind: string; name: string; resourceVersion?: string; dropFinalizers?: readonly string[] };

/** What a write did: `unchanged` wrote nothing; `terminating` set deletionTimestamp. */
export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'deleted' | 'terminating';

export interface WriteResult {
  kind: string;
  name: string;
  outcome: WriteOutcome;
  object: StoredObject;
}

export interface BatchResult {
  /** The revision the batch committed at (the current revision when nothing changed). */
  revision: string;
  results: WriteResult[];
}

/**
 * Desired state and status of every resource. Guarantees, for every implementation:
 * - every write is compare-and-swap: a stale resourceVersion gives Conflict, nothing is written;
 * - `generation` starts at 1 and moves only when `spec` changes;
 * - `update` never changes status; `updateStatus` changes only status;
 * - `applyBatch` writes all of its operations (and records) in one transaction or none of them;
 * - `watch(kind, afterRevision)` delivers every change after that revision exactly once, in
 *   revision order, or throws Gone (HVS-STORE-WATCH-GONE) when history was compacted;
 * - every call ends within its deadline: Unavailable (HVS-STORE-UNAVAILABLE), never a hang.
 */
export interface ObjectStore {
  /** Most operations one applyBatch may hold (etcd: its --max-txn-ops); undefined: no limit of the store's own. */
  readonly maxBatchOps?: number;
  get<T extends StoredObject = StoredObject>(kind: string, name: string): Promise<T>;
  /**
   * The objects at `refs`, in their order, undefined where nothing is stored: one read for the
   * lot (etcd: one transaction of ranges per etcd --max-txn-ops refs, so up to that many are
   * read at one revision) instead of one round trip per object.
   */
  getMany<T extends StoredObject = StoredObject>(refs: readonly ObjectRef[]): Promise<(T | undefined)[]>;
  list<T extends StoredObject = StoredObject>(kind: string, options?: ListOptions): Promise<ListResult<T>>;
  create<T extends StoredObject>(object: T): Promise<T>;
  /** User write: spec, labels, annotations, finalizers. Removing the last finalizer of a terminating object deletes it. */
  update<T extends StoredObject>(object: T): Promise<T>;
  /** Controller/agent write: status only. */
  updateStatus<T extends StoredObject>(object: T): Promise<T>;
  delete<T extends StoredObject = StoredObject>(kind: string, name: string, options?: DeleteOptions): Promise<DeleteResult<T>>;
  /** `records` (records.ts) are written in the same transaction; results are those of `ops` only. */
  applyBatch(ops: WriteOp[], records?: readonly RecordOp[]): Promise<BatchResult>;
  /** The controller-private records under `prefix` (records.ts), read at one revision. */
  listRecords<T = unknown>(prefix: string): Promise<RecordList<T>>;
  /** Changes of records under `prefix` after `afterRevision`; Gone when compacted. */
  watchRecords<T = unknown>(prefix: string, afterRevision: string): RecordStream<T>;
  /** Changes after `afterRevision` (default: from now). Use `list().revision` for list-then-watch. */
  watch<T extends StoredObject = StoredObject>(kind: string, afterRevision?: string): WatchStream<T>;
  close(): Promise<void>;
}
