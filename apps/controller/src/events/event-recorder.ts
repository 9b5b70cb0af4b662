/**
 * EventRecorder: where the control loops report what happened (EventSink). Guarantees:
 * - never throws into the caller and never blocks it: `record()` resolves when the write
 *   landed or failed (failures go to `onError`); a reconcile must not fail because its event
 *   could not be written;
 * - every event key is bound to an etcd lease of `ttlSeconds` (default 1 h) plus a reuse
 *   window: one lease is shared by the events of that window (k8s apiserver's habit: a lease
 *   per event would double the writes), so a record lives between TTL and TTL + window after
 *   its last write, then etcd deletes it;
 * - identical consecutive events of one object are folded into one record (count, time =
 *   latest): the repeat that comes `countUpdateIntervalMs` (default 10 s) or more after the
 *   last write of that record is written at once; repeats inside the interval are written
 *   once, when it ends (so a flapping loop costs at most one write per interval, and the final
 *   count is never lost while the process lives);
 * - writes of one record are ordered (a count update never lands before the create);
 * - bounded: at most `maxTracked` objects are remembered for folding (least recently used
 *   forgotten) and at most `maxPending` writes wait; beyond that new events are dropped and
 *   counted in `stats.dropped`;
 * - batched: puts share etcd transactions (one in flight; those that arrive meanwhile go in
 *   the next, up to MAX_PUTS_PER_TXN), so a burst of 100 VMs' Bound/Defined/Started events is
 *   a few raft proposals instead of 300 competing with status writes. Events are independent
 *   puts, so a batch has no compares; a failed batch fails every event in it (each counted).
 */
import { SystemClock, type Clock, type TimerHandle } from '@hvs/reconcile';
import type { EtcdConnection } from '../store/etcd-connection';
import { grantLease } from '../leases/etcd-lease';
import { checkInput, eventId, eventKey, fingerprint, truncate, type EventInput, type EventRecord } from './event-record';

/** What reporters depend on (the control loops take this, tests may pass a recorder or a list). */
export interface EventSink {
  record(event: EventInput): Promise<void>;
}

export const DEFAULT_EVENT_TTL_SECONDS = 3600;
export const DEFAULT_COUNT_UPDATE_INTERVAL_MS = 10_000;
/** Below etcd's default --max-txn-ops (128). */
export const MAX_PUTS_PER_TXN = 100;

interface QueuedPut {
  key: Buffer;
  value: Buffer;
  resolve(): void;
  reject(e: unknown): void;
}

export interface EventRecorderOptions {
  connection: EtcdConnection;
  ttlSeconds?: number;
  clock?: Clock;
  countUpdateIntervalMs?: number;
  maxTracked?: number;
  maxPending?: number;
  /** A write that failed (after the connection's retries) or an invalid event; the event is lost. */
  onError?: (e: unknown, event: Pick<EventInput, 'kind' | 'name' | 'reason'>) => void;
}

interface Tracked {
  fingerprint: string;
  key: string;
  record: EventRecord;
  /** Clock time of the last write started, and the count it carried. */
  lastWriteAt: number;
  writtenCount: number;
  timer?: TimerHandle;
  chain: Promise<void>;
}

export interface EventRecorderStats {
  /** Records created (one per distinct event). */
  created: number;
  /** Repeats folded into an existing record. */
  folded: number;
  /** Puts sent to etcd (creates and count updates). */
  writes: number;
  /** etcd transactions that carried them. */
  transactions: number;
  dropped: number;
  failed: number;
}

export class EventRecorder implements EventSink {
  readonly ttlSeconds: number;
  readonly stats: EventRecorderStats = { created: 0, folded: 0, writes: 0, transactions: 0, dropped: 0, failed: 0 };
  private readonly clock: Clock;
  private readonly interval: number;
  private readonly reuseMs: number;
  /** Map order is recency order (re-inserted on use): the first entry is the LRU one. */
  private readonly tracked = new Map<string, Tracked>();
  private readonly inflight = new Set<Promise<void>>();
  private lease: { id: string; grantedAt: number; pending?: Promise<string> } | undefined;
  private readonly queue: QueuedPut[] = [];
  private draining = false;

  constructor(private readonly options: EventRecorderOptions) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_EVENT_TTL_SECONDS;
    this.clock = options.clock ?? new SystemClock();
    this.interval = options.countUpdateIntervalMs ?? DEFAULT_COUNT_UPDATE_INTERVAL_MS;
    this.reuseMs = Math.min(60, Math.max(1, Math.floor(this.ttlSeconds / 10))) * 1000;
  }

  record(input: EventInput): Promise<void> {
    try {
      checkInput(input);
    } catch (e) {
      this.stats.failed++;
      this.options.onError?.(e, input);
      return Promise.resolve();
    }
    const now = this.clock.now();
    const time = normaliseTime(input.time, now);
    const base = {
      kind: input.kind, name: input.name, uid: input.uid ?? '', type: input.type, reason: input.reason,
      message: truncate(input.message), source: input.source, node: input.node ?? '',
    };
    const fp = fingerprint(base);
    const objectKey = `${input.kind}/${input.name}`;
    const last = this.tracked.get(objectKey);
    if (last && last.fingerprint === fp) {
      this.touch(objectKey, last);
      last.record = { ...last.record, count: last.record.count + 1, time: time > last.record.time ? time : last.record.time };
      this.stats.folded++;
      return this.scheduleCountUpdate(last);
    }
    if (this.inflight.size >= (this.options.maxPending ?? 1000)) {
      this.stats.dropped++;
      return Promise.resolve();
    }
    // A different event of the object: the previous record is final, write its count now.
    if (last?.timer !== undefined) this.flushTracked(last);
    const tracked: Tracked = {
      fingerprint: fp, key: eventKey(input.kind, input.name, eventId(Date.parse(time))),
      record: { ...base, time, firstTime: time, count: 1 }, lastWriteAt: now, writtenCount: 0, chain: Promise.resolve(),
    };
    this.touch(objectKey, tracked);
    this.stats.created++;
    return this.enqueueWrite(tracked);
  }

  /** Writes every deferred count now and waits for every write in flight. */
  async flush(): Promise<void> {
    for (const t of this.tracked.values()) if (t.timer !== undefined) this.flushTracked(t);
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private touch(key: string, t: Tracked): void {
    this.tracked.delete(key);
    this.tracked.set(key, t);
    const max = this.options.maxTracked ?? 4096;
    while (this.tracked.size > max) {
      const [oldestKey, oldest] = this.tracked.entries().next().value as [string, Tracked];
      if (oldest.timer !== undefined) this.flushTracked(oldest);
      this.tracked.delete(oldestKey);
    }
  }

  private scheduleCountUpdate(t: Tracked): Promise<void> {
    if (t.timer !== undefined) return t.chain;
    const due = t.lastWriteAt + this.interval - this.clock.now();
    if (due <= 0) return this.enqueueWrite(t);
    t.timer = this.clock.setTimeout(() => {
      t.timer = undefined;
      void this.enqueueWrite(t);
    }, due);
    return Promise.resolve();
  }

  private flushTracked(t: Tracked): void {
    this.clock.clearTimeout(t.timer);
    t.timer = undefined;
    if (t.record.count !== t.writtenCount) void this.enqueueWrite(t);
  }

  private enqueueWrite(t: Tracked): Promise<void> {
    t.lastWriteAt = this.clock.now();
    const write = t.chain.then(() => this.write(t));
    t.chain = write;
    this.inflight.add(write);
    void write.finally(() => this.inflight.delete(write));
    return write;
  }

  /** Puts the record's current state (skipped when a later write already carried it). */
  private async write(t: Tracked): Promise<void> {
    const record = t.record;
    if (record.count === t.writtenCount) return;
    try {
      await this.put(t.key, record);
      t.writtenCount = record.count;
    } catch (e) {
      this.stats.failed++;
      this.options.onError?.(e, record);
    }
  }

  private put(key: string, record: EventRecord): Promise<void> {
    this.stats.writes++;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ key: Buffer.from(key), value: Buffer.from(JSON.stringify(record)), resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // A microtask later, so the records of one synchronous burst share the first transaction.
      queueMicrotask(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_PUTS_PER_TXN);
      try {
        await this.commit(batch);
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.draining = false;
  }

  private async commit(batch: readonly QueuedPut[]): Promise<void> {
    const conn = this.options.connection;
    for (let attempt = 1; ; attempt++) {
      const lease = await this.leaseId();
      try {
        this.stats.transactions++;
        await conn.call((o) => conn.client.kv.txn({ success: batch.map((p) => ({ request_put: { key: p.key, value: p.value, lease } })) }, o));
        return;
      } catch (e) {
        // The shared lease was revoked or expired under us (etcd restored, clock jump): take a new one.
        if (attempt >= 2 || !/lease not found/i.test(String(e))) throw e;
        if (this.lease?.id === lease) this.lease = undefined;
      }
    }
  }

  /** The shared lease of this reuse window, granted once per window even under concurrent writes. */
  private async leaseId(): Promise<string> {
    const now = this.clock.now();
    const l = this.lease;
    if (l?.pending) return l.pending;
    if (l && now - l.grantedAt < this.reuseMs) return l.id;
    const pending = grantLease(this.options.connection, this.ttlSeconds + this.reuseMs / 1000).then((g) => g.id);
    this.lease = { id: '', grantedAt: now, pending };
    try {
      const id = await pending;
      this.lease = { id, grantedAt: now };
      return id;
    } catch (e) {
      this.lease = undefined;
      throw e;
    }
  }
}

/** The reporter's time when it parses, as an ISO string (so records sort lexically); else now. */
function normaliseTime(time: string | undefined, now: number): string {
  const t = time === undefined || time === '' ? NaN : Date.parse(time);
  return new Date(Number.isNaN(t) ? now : t).toISOString();
}
