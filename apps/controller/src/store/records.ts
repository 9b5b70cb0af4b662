/**
 * Controller-private JSON records beside the objects (IPAM reservations, apps/controller/src/ipam):
 * not API objects (no metadata, no Get/List/Watch through the API), but written in the SAME
 * transaction as objects (`applyBatch(ops, records)`), so an apply that reserves addresses for
 * a VM writes the VM and its reservations together or neither. Every record op is pinned:
 * `put` with `expect: null` only if the key is absent (of two racing writers exactly one wins),
 * otherwise only while the record is still at the version read; a lost race is Conflict
 * (HVS-STORE-CONFLICT), never retried by the store (the caller re-reads and decides again).
 */
import { conflict, invalidWrite } from './errors';
import { KEY_ROOT } from './objects';

/** The prefixes records may live under (never an object kind's prefix). */
export const RECORD_PREFIXES = [`${KEY_ROOT}ipam/`] as const;

export interface StoredRecord<T = unknown> {
  key: string;
  value: T;
  /** etcd mod_revision of the key. */
  version: string;
}

export type RecordOp =
  | { op: 'put'; key: string; value: unknown; /** null: the key must not exist; else its version. */ expect: string | null }
  | { op: 'remove'; key: string; expect: string };

export interface RecordList<T = unknown> {
  records: StoredRecord<T>[];
  revision: string;
}

export interface RecordEvent<T = unknown> {
  type: 'PUT' | 'DELETED';
  /** For DELETED: the last value, version = the deletion revision. */
  record: StoredRecord<T>;
  revision: string;
}

export interface RecordStream<T = unknown> extends AsyncIterable<RecordEvent<T>> {
  close(): Promise<void>;
}

/** `key` (or, with `prefix`, a prefix to list or watch) lies under a record prefix. */
export function checkRecordKey(key: string, prefix = false): void {
  if (!RECORD_PREFIXES.some((p) => key.startsWith(p) && (prefix || key.length > p.length)) || key.includes('\0')) {
    throw invalidWrite(`record key "${key}" is outside the record prefixes`,
      `records may only live under ${RECORD_PREFIXES.join(', ')}, never where objects are stored`, 'this is a controller bug: report it with the key');
  }
}

/** Throws Conflict when a record is no longer where the op expects it (undefined: absent). */
export function checkRecordExpectation(op: RecordOp, currentVersion: string | undefined): void {
  const ok = op.expect === null ? currentVersion === undefined : currentVersion === op.expect;
  if (!ok) {
    throw conflict('record', op.key, op.expect === null ? 'the key was written concurrently' : `it moved from version ${op.expect} to ${currentVersion ?? 'deleted'}`);
  }
}

/** Rejects a batch naming one record twice. */
export function checkDistinctRecords(records: readonly RecordOp[]): void {
  const seen = new Set<string>();
  for (const r of records) {
    checkRecordKey(r.key);
    if (seen.has(r.key)) throw conflict('record', r.key, 'the batch writes it twice (a controller bug)');
    seen.add(r.key);
  }
}
