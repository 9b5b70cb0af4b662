/**
 * One serialised status writer that commits many CAS status writes per etcd transaction
 * (Nomad's plan applier: decisions are made in parallel, one writer commits them). While a
 * transaction is in flight, new writes queue; the next transaction takes all of them (up to
 * `maxBatch`). Every write keeps its own compare on the resourceVersion it was decided on.
 *
 * Guarantees: each `write` resolves with the stored object or rejects with that object's own
 * error. A batch is all-or-nothing in etcd, so when it fails on some object (Conflict,
 * NotFound) it is split in halves and each half is tried again, down to single writes: only
 * the stale writes fail, and one stale write among n costs about 2·log2(n) more attempts
 * instead of n (a failing attempt is only a read: the store plans before it writes).
 * HVS-STORE-UNAVAILABLE fails the whole batch (retrying would only wait longer).
 *
 * Users: the scheduler's bindings (vm-schedule) and the dispatcher's observed statuses, each
 * with its own instance (docs/architecture/control-loops.md, "Status writes").
 */
import { isHvsError } from '@hvs/domain';
import type { ObjectStore, StoredObject } from '../store/types';

interface Pending {
  object: StoredObject;
  resolve: (o: StoredObject) => void;
  reject: (e: unknown) => void;
}

export class StatusBatcher {
  private pending: Pending[] = [];
  private flushing = false;
  /** Transactions tried (`applyBatch` calls), writes carried, and failed batches that were split. */
  readonly stats = { transactions: 0, writes: 0, fallbacks: 0 };

  constructor(
    private readonly store: ObjectStore,
    private readonly maxBatch = 64,
  ) {}

  /** `updateStatus` of `object`, compared on its metadata.resourceVersion, batched with others. */
  write<T extends StoredObject>(object: T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ object, resolve: resolve as (o: StoredObject) => void, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        this.stats.writes += batch.length;
        await this.commit(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  /** One transaction for `batch`; on a per-object failure, each half again (never throws). */
  private async commit(batch: Pending[]): Promise<void> {
    this.stats.transactions++;
    try {
      const res = await this.store.applyBatch(batch.map((p) => ({ op: 'updateStatus' as const, object: p.object })));
      res.results.forEach((r, i) => batch[i]!.resolve(r.object));
    } catch (e) {
      if (batch.length === 1 || (isHvsError(e) && e.code === 'HVS-STORE-UNAVAILABLE')) {
        for (const p of batch) p.reject(e);
        return;
      }
      this.stats.fallbacks++;
      const half = Math.ceil(batch.length / 2);
      await Promise.all([this.commit(batch.slice(0, half)), this.commit(batch.slice(half))]);
    }
  }
}
