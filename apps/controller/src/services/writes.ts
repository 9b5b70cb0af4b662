/**
 * Write plumbing the services share: audited batches (records in the same transaction when
 * it has room), failure records, optional reads and the re-plan-on-conflict loop.
 */
import { isHvsError } from '@hvs/domain';
import type { AuditEntry, AuditService } from '../audit';
import type { BatchResult, ObjectStore, RecordOp, StoredObject, WriteOp } from '../store';

/**
 * Ops per transaction this layer plans for when the store names no limit: etcd's default
 * --max-txn-ops. A batch whose changes and audit records together exceed the store's limit
 * writes the records right after instead.
 */
export const MAX_TXN_OPS = 128;

/** Conflicts the service re-reads and re-plans after (when the caller pinned no version). */
export const CONFLICT_ATTEMPTS = 3;

/**
 * Writes `ops`, the controller records `kept` (IPAM reservations: always in the same transaction
 * as `ops`) and the audit records of `entries` in one batch; results are those of `ops` only.
 */
export async function auditedBatch(
  store: ObjectStore, audit: AuditService, ops: WriteOp[], entries: Omit<AuditEntry, 'result'>[], kept: readonly RecordOp[] = [],
): Promise<BatchResult> {
  const records = entries.map((e) => ({ ...e, result: 'ok' as const }));
  if (ops.length + kept.length + records.length <= (store.maxBatchOps ?? MAX_TXN_OPS)) {
    const batch = await store.applyBatch([...ops, ...records.map((r) => audit.op(r))], kept);
    return { revision: batch.revision, results: batch.results.slice(0, ops.length) };
  }
  const batch = await store.applyBatch(ops, kept);
  await audit.append(records);
  return batch;
}

/**
 * Records a failed mutating call. Skipped for refusals of identity (the edge records those) and when the store itself is unreachable (the record
 * could not be written either, and trying would double the caller's wait); a failure to
 * record never hides the original error.
 */
export async function auditFailure(audit: AuditService, e: unknown, entry: Pick<AuditEntry, 'operation' | 'kind' | 'name' | 'actor'>): Promise<void> {
  const category = isHvsError(e) ? e.category : 'Internal';
  if (category === 'Unavailable' || category === 'DeadlineExceeded') return;
  // Refusals of identity are the edge's to record (services/refusals.ts): unauthenticated ones
  // only in a metric (anonymous traffic must not fill etcd), forbidden ones once, in the audit log.
  if (category === 'Unauthenticated' || category === 'PermissionDenied') return;
  const code = isHvsError(e) ? e.code : 'HVS-INTERNAL';
  await audit.append([{ ...entry, generationBefore: 0, generationAfter: 0, result: 'error', code }]).catch(() => undefined);
}

/** The stored object, or undefined when there is none. */
export async function readOptional(store: ObjectStore, kind: string, name: string): Promise<StoredObject | undefined> {
  try {
    return await store.get(kind, name);
  } catch (e) {
    if (isHvsError(e) && e.category === 'NotFound') return undefined;
    throw e;
  }
}

/** Runs `fn` again after a Conflict, unless the caller pinned the version (then it is theirs). */
export async function retryOnConflict<T>(pinnedByCaller: boolean, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (pinnedByCaller || attempt >= CONFLICT_ATTEMPTS || !isHvsError(e) || e.category !== 'Conflict') throw e;
    }
  }
}
