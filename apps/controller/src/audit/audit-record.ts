/**
 * One audit record: who did what to which object, and with what result. Records are stored
 * as objects of the internal kind `Audit` at `/hvs/v1/audit/<id>`, so an apply can write its
 * records in the SAME etcd transaction as the objects it changes (no change without its
 * record, no record of a change that did not happen).
 */
import { randomBytes } from 'node:crypto';
import type { StoredObject } from '../store';

/** Internal kind: never accepted from users (resolveKind does not know it). */
export const AUDIT_KIND = 'Audit';

export interface AuditRecord {
  /** RFC 3339, the controller's clock. */
  time: string;
  /** Caller identity; `anonymous` until authentication lands (see controller-api.md). */
  actor: string;
  /** apply, delete, prune, start, stop, restart, cordon, uncordon, register. */
  operation: string;
  kind: string;
  name: string;
  /** 0 when the object did not exist before. */
  generationBefore: number;
  /** The generation the write left (for delete: the last one). */
  generationAfter: number;
  result: 'ok' | 'error';
  /** The error code when result is `error`. */
  code?: string;
  uid?: string;
  /** Who owns the fields of an apply (`--field-manager`), when given. */
  fieldManager?: string;
}

/** What callers fill in; time comes from the audit log's clock. */
export type AuditEntry = Omit<AuditRecord, 'time'>;

const TIME_DIGITS = 15;
let sequence = 0;

/**
 * A DNS-label id whose lexical order is time order: 15-digit epoch milliseconds, a per-process
 * sequence (keeps order inside one millisecond) and 3 random bytes (no collision between
 * controller replicas writing in the same millisecond).
 */
export function auditId(at: Date): string {
  sequence = (sequence + 1) % 10_000;
  return `${String(at.getTime()).padStart(TIME_DIGITS, '0')}-${String(sequence).padStart(4, '0')}-${randomBytes(3).toString('hex')}`;
}

/** The smallest id of any record at or after `at` (for range reads and pruning). */
export function auditIdFloor(at: Date): string {
  return String(Math.max(0, at.getTime())).padStart(TIME_DIGITS, '0');
}

export function auditObject(id: string, record: AuditRecord): StoredObject {
  return { apiVersion: 'hvs/v1', kind: AUDIT_KIND, metadata: { name: id }, spec: record };
}

export function recordOf(object: StoredObject): AuditRecord {
  return object.spec as AuditRecord;
}
