/**
 * The audit log. Writers get a WriteOp (`op(entry)`) to put in the same `applyBatch` as the
 * change it records, or `append()` it right after when it cannot share the transaction.
 * Retention: records older than `retentionDays` (default 90) are deleted by `prune()`, which
 * runs every `pruneIntervalMs` (default 1 h) after `start()`. Records carry no
 * secrets: only names, generations, result codes and the actor.
 */
import { HvsError, resolveKind } from '@hvs/domain';
import type { ObjectStore, WriteOp } from '../store';
import { AUDIT_KIND, auditId, auditIdFloor, auditObject, recordOf, type AuditEntry, type AuditRecord } from './audit-record';

export const DEFAULT_AUDIT_RETENTION_DAYS = 90;
export const DEFAULT_AUDIT_PRUNE_INTERVAL_MS = 60 * 60 * 1000;
export const MAX_AUDIT_PAGE = 1000;
/** Deletes per prune transaction (below etcd's default --max-txn-ops of 128). */
const PRUNE_CHUNK = 100;

export interface AuditOptions {
  retentionDays?: number;
  pruneIntervalMs?: number;
  clock?: () => Date;
  /** Where failures of background pruning go (default: dropped). */
  onError?: (e: unknown) => void;
}

export interface AuditFilter {
  kind?: string;
  name?: string;
  actor?: string;
  operation?: string;
  /** RFC 3339: only records at or after this time. */
  since?: string;
}

export interface AuditPage {
  /** Newest first. */
  records: AuditRecord[];
  /** Pass back to get the next (older) page; empty when there is none. */
  continueToken: string;
}

export class AuditService {
  readonly retentionDays: number;
  private readonly clock: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private pruning: Promise<unknown> | undefined;

  constructor(private readonly store: ObjectStore, private readonly options: AuditOptions = {}) {
    this.retentionDays = options.retentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    this.clock = options.clock ?? (() => new Date());
  }

  /** The create op that stores `entry`; put it in the batch of the change it records. */
  op(entry: AuditEntry): WriteOp {
    const now = this.clock();
    return { op: 'create', object: auditObject(auditId(now), { time: now.toISOString(), ...entry }) };
  }

  /** Writes records on their own (after a change that could not carry them, or after a failure). */
  async append(entries: readonly AuditEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += PRUNE_CHUNK) {
      await this.store.applyBatch(entries.slice(i, i + PRUNE_CHUNK).map((e) => this.op(e)));
    }
  }

  /** Records matching `filter`, newest first, at most `limit` (default 100, max 1000) per page. */
  async list(filter: AuditFilter = {}, limit = 100, continueToken = ''): Promise<AuditPage> {
    const since = filter.since === undefined || filter.since === '' ? undefined : parseSince(filter.since);
    const max = Math.min(Math.max(limit > 0 ? limit : 100, 1), MAX_AUDIT_PAGE);
    const floor = since === undefined ? '' : auditIdFloor(since);
    const { items } = await this.store.list(AUDIT_KIND);
    const matching = items
      .filter((o) => o.metadata.name >= floor && (continueToken === '' || o.metadata.name < continueToken))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? 1 : -1))
      .filter((o) => matches(recordOf(o), { ...filter, kind: filter.kind ? resolveKind(filter.kind) ?? filter.kind : undefined }));
    const page = matching.slice(0, max);
    const more = matching.length > max;
    return { records: page.map(recordOf), continueToken: more ? page[page.length - 1]!.metadata.name : '' };
  }

  /** Deletes records older than the retention period; returns how many went. Idempotent. */
  async prune(): Promise<number> {
    const cutoff = auditIdFloor(new Date(this.clock().getTime() - this.retentionDays * 24 * 3600 * 1000));
    const { items } = await this.store.list(AUDIT_KIND);
    const old = items.filter((o) => o.metadata.name < cutoff);
    for (let i = 0; i < old.length; i += PRUNE_CHUNK) {
      await this.store.applyBatch(old.slice(i, i + PRUNE_CHUNK).map((o) => ({ op: 'delete', kind: AUDIT_KIND, name: o.metadata.name })));
    }
    return old.length;
  }

  /**
   * Prunes every interval, the first time one interval after start (not at boot, when etcd
   * may still be coming up). Every replica may run it: deleting a gone key is harmless.
   */
  start(): void {
    if (this.timer) return;
    const run = () => {
      this.pruning = this.prune().catch((e) => this.options.onError?.(e));
    };
    this.timer = setInterval(run, this.options.pruneIntervalMs ?? DEFAULT_AUDIT_PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pruning;
  }
}

function matches(r: AuditRecord, f: AuditFilter): boolean {
  return (!f.kind || r.kind === f.kind) && (!f.name || r.name === f.name) && (!f.actor || r.actor === f.actor)
    && (!f.operation || r.operation === f.operation);
}

function parseSince(s: string): Date {
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(s)) {
    throw new HvsError({
      code: 'HVS-AUDIT-SINCE-INVALID', category: 'InvalidArgument', path: 'since',
      message: `since "${s.slice(0, 64)}" is not a time`,
      why: 'since must be an RFC 3339 time',
      fix: 'write it like 2024-05-01T12:00:00Z',
    });
  }
  return d;
}
