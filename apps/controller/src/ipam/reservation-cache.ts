/**
 * Every reservation of the cluster, kept current from a watch of the IPAM prefix (an informer
 * of records): the dispatcher builds NetworkBindings from it, the sweeper and the Network status
 * read it. Guarantees: `start()` resolves once the first list is in; every later change is
 * applied in revision order and subscribers are told after it; a broken or compacted watch
 * re-lists after a backoff and tells subscribers once (nothing is missed across the gap).
 */
import { SystemClock, type Clock } from '@hvs/reconcile';
import type { RecordStream } from '../store/records';
import type { ObjectStore } from '../store/types';
import { compareReservations, IPAM_PREFIX, reservationOf, type Reservation, type ReservationValue } from './reservation-keys';

export class ReservationCache {
  private readonly items = new Map<string, Reservation>();
  private readonly handlers = new Set<(changed: readonly Reservation[]) => void>();
  private stream: RecordStream<ReservationValue> | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private currentRevision = '0';
  private readonly clock: Clock;

  constructor(private readonly store: ObjectStore, private readonly options: { clock?: Clock; onError?: (e: unknown) => void; retryMs?: number } = {}) {
    this.clock = options.clock ?? new SystemClock();
  }

  async start(): Promise<void> {
    await this.relist();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.stream?.close();
    await this.loop;
  }

  /** The store revision the cache reflects. */
  get revision(): string {
    return this.currentRevision;
  }

  /** Told the reservations that changed (old and new values); returns the unsubscribe. */
  subscribe(handler: (changed: readonly Reservation[]) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Every reservation, sorted (network, address, VM, NIC). */
  list(): Reservation[] {
    return [...this.items.values()].sort(compareReservations);
  }

  ofNetwork(network: string): Reservation[] {
    return this.list().filter((r) => r.network === network);
  }

  ofVm(vmUid: string): Reservation[] {
    return this.list().filter((r) => r.vmUid === vmUid);
  }

  private async relist(): Promise<Reservation[]> {
    const { records, revision } = await this.store.listRecords<ReservationValue>(IPAM_PREFIX);
    const before = [...this.items.values()];
    this.items.clear();
    for (const r of records) {
      const res = reservationOf(r.key, r.value, r.version);
      if (res) this.items.set(r.key, res);
    }
    this.currentRevision = revision;
    return [...before, ...this.items.values()];
  }

  private async run(): Promise<void> {
    let delay = this.options.retryMs ?? 200;
    while (!this.stopped) {
      try {
        this.stream = this.store.watchRecords<ReservationValue>(IPAM_PREFIX, this.currentRevision);
        for await (const ev of this.stream) {
          const old = this.items.get(ev.record.key);
          const res = reservationOf(ev.record.key, ev.record.value, ev.record.version);
          if (ev.type === 'DELETED') this.items.delete(ev.record.key);
          else if (res) this.items.set(ev.record.key, res);
          this.currentRevision = ev.revision;
          delay = this.options.retryMs ?? 200;
          this.tell([...(old ? [old] : []), ...(res ? [res] : [])]);
        }
        if (this.stopped) return;
      } catch (e) {
        if (this.stopped) return;
        this.options.onError?.(e);
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5_000);
        try {
          this.tell(await this.relist());
        } catch (err) {
          this.options.onError?.(err);
        }
      }
    }
  }

  private tell(changed: readonly Reservation[]): void {
    for (const h of this.handlers) {
      try {
        h(changed);
      } catch (e) {
        this.options.onError?.(e);
      }
    }
  }
}
