/**
 * One serialised status writer that commits many CAS status writes per etcd transaction
 * (Nomad's plan applier: decisions are made in parallel, one writer commits them). While a
 * transaction is in flight, new writes queue; the next transaction takes all of them (up to
 * `maxBatch`). Every write keeps its own compare on the resourceVersion it was decided on.
 *
 * Guarantees: each `write` resolves with the stored object or rejects with that object's own
 * error. A batch is all-or-nothing in etcd, so when it fails on one object (Conflict,
 * NotFound) the batch is retried one write at a time and only the stale writes fail;
 * HVS-STORE-UNAVAILABLE fails the whole batch (retrying each would only wait longer).
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
  /** Transactions committed and the writes they carried (for the bench and metrics). */
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
        this.stats.transactions++;
        this.stats.writes += batch.length;
        try {
          const res = await this.store.applyBatch(batch.map((p) => ({ op: 'updateStatus' as const, object: p.object })));
          res.results.forEach((r, i) => batch[i]!.resolve(r.object));
        } catch (e) {
          if (batch.length === 1 || (isHvsError(e) && e.code === 'HVS-STORE-UNAVAILABLE')) {
            for (const p of batch) p.reject(e);
            continue;
          }
          this.stats.fallbacks++;
          await Promise.all(batch.map((p) => this.store.updateStatus(p.object).then(p.resolve, p.reject)));
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
