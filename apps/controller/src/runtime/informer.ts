/**
 * A shared, watch-fed cache of one kind (client-go's informer): list once, then apply every
 * watch event, and tell subscribers. Reconcilers read it instead of listing per key, so one
 * scheduling pass costs O(changes), not O(objects).
 *
 * Guarantees:
 * - `start()` resolves once the first list is in the cache (synced);
 * - subscribers see every change after that, in revision order, each at most once; an event
 *   older than the cached object (a replay) is dropped;
 * - Gone (compacted history) or a broken watch: re-list after a backoff on the injected clock
 *   and emit the differences as ADDED/MODIFIED/DELETED, so nothing is missed across the gap;
 * - a subscriber that throws does not stop the informer (its error goes to `onError`).
 */
import { SystemClock, type Clock } from '@hvs/reconcile';
import type { ObjectStore, StoredObject, WatchEventType, WatchStream } from '../store/types';

export interface InformerEvent<T extends StoredObject> {
  type: WatchEventType;
  object: T;
  /** The cached object before the change (MODIFIED and DELETED). */
  old?: T;
}

export type InformerHandler<T extends StoredObject> = (event: InformerEvent<T>) => void;

export interface InformerOptions {
  clock?: Clock;
  /** Errors of the list/watch loop (retried) and of subscribers. */
  onError?: (error: unknown) => void;
  /** First re-list delay after a failure, doubled up to `maxRetryMs`. Default 200 ms. */
  retryMs?: number;
  maxRetryMs?: number;
}

export class Informer<T extends StoredObject> {
  private readonly items = new Map<string, T>();
  private readonly handlers = new Set<InformerHandler<T>>();
  private readonly clock: Clock;
  private currentRevision = '0';
  private stream: WatchStream<T> | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: ObjectStore,
    readonly kind: string,
    private readonly options: InformerOptions = {},
  ) {
    this.clock = options.clock ?? new SystemClock();
  }

  /** Lists, fills the cache and starts watching; resolves when synced. Throws if the first list fails. */
  async start(): Promise<void> {
    if (this.loop) throw new Error(`informer ${this.kind}: already started`);
    const first = await this.store.list<T>(this.kind);
    this.replace(first.items, first.revision);
    this.loop = this.run(first.revision);
  }

  /** Stops watching; the cache keeps its last contents. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.stream?.close();
    await this.loop;
  }

  get(name: string): T | undefined {
    return this.items.get(name);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }

  /** The store revision the cache reflects (last list or last event). */
  get revision(): string {
    return this.currentRevision;
  }

  /** Calls `handler` for every later change; returns the unsubscribe function. */
  subscribe(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  private async run(fromRevision: string): Promise<void> {
    let revision = fromRevision;
    let delay = this.options.retryMs ?? 200;
    while (!this.stopped) {
      try {
        this.stream = this.store.watch<T>(this.kind, revision);
        if (this.stopped) break;
        for await (const ev of this.stream) {
          this.apply(ev.type, ev.object, ev.revision);
          delay = this.options.retryMs ?? 200;
        }
        if (this.stopped) break;
        throw new Error(`the ${this.kind} watch ended`);
      } catch (e) {
        if (this.stopped) break;
        this.options.onError?.(e);
        await this.pause(delay);
        delay = Math.min(delay * 2, this.options.maxRetryMs ?? 5_000);
        if (this.stopped) break;
        try {
          // Gone or broken: the list is the truth; the diff is emitted as events.
          const fresh = await this.store.list<T>(this.kind);
          this.replace(fresh.items, fresh.revision);
          revision = fresh.revision;
        } catch (listError) {
          this.options.onError?.(listError);
        }
      }
    }
  }

  private apply(type: WatchEventType, object: T, revision: string): void {
    const name = object.metadata.name;
    const old = this.items.get(name);
    if (Number(revision) > Number(this.currentRevision)) this.currentRevision = revision;
    if (type === 'DELETED') {
      // A delete at or below the cached version is a replay from before a re-list.
      if (!old || Number(old.metadata.resourceVersion) >= Number(revision)) return;
      this.items.delete(name);
      this.emit({ type, object, old });
      return;
    }
    if (old && Number(old.metadata.resourceVersion) >= Number(object.metadata.resourceVersion)) return;
    this.items.set(name, object);
    this.emit(old ? { type: 'MODIFIED', object, old } : { type: 'ADDED', object });
  }

  private replace(items: T[], revision: string): void {
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(obj.metadata.name);
      const old = this.items.get(obj.metadata.name);
      if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) continue;
      this.items.set(obj.metadata.name, obj);
      this.emit(old ? { type: 'MODIFIED', object: obj, old } : { type: 'ADDED', object: obj });
    }
    for (const [name, old] of [...this.items]) {
      if (seen.has(name)) continue;
      this.items.delete(name);
      this.emit({ type: 'DELETED', object: old, old });
    }
    if (Number(revision) > Number(this.currentRevision)) this.currentRevision = revision;
  }

  private emit(event: InformerEvent<T>): void {
    for (const h of [...this.handlers]) {
      try {
        h(event);
      } catch (e) {
        this.options.onError?.(e);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        this.clock.clearTimeout(handle);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
