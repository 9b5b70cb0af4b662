import { ExponentialBackoff, type BackoffOptions } from './backoff';
import { SystemClock, type Clock, type TimerHandle } from './clock';

/**
 * A work queue of keys with the guarantees of client-go's workqueue:
 *
 * - dedupe: a key is queued at most once however often it is added before a worker takes it;
 * - in flight: a key handed out by `get()` is not handed out again until `done(key)`; adding it
 *   meanwhile marks it dirty and it is queued once, when `done` is called;
 * - fairness: keys are handed out in the order they were first queued;
 * - delays: `addAfter` keeps one pending timer per key (the earliest wins);
 * - backoff: `addRateLimited` delays by the key's exponential backoff, `forget` resets it.
 *
 * Keys are compared like Set members (SameValueZero): use strings such as `VirtualMachine/web-1`.
 */
export interface WorkQueueOptions {
  clock?: Clock;
  backoff?: BackoffOptions;
}

export class WorkQueue<K extends string | number = string> {
  private readonly clock: Clock;
  private readonly backoff: ExponentialBackoff<K>;
  /** Keys waiting to be handed out, in order. Every key here is also in `dirty`. */
  private queue: K[] = [];
  private head = 0;
  /** Keys that need processing (queued, or re-added while in flight). */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly delayed = new Map<K, { due: number; handle: TimerHandle }>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? new SystemClock();
    this.backoff = new ExponentialBackoff<K>(opts.backoff);
  }

  /** Queues `key` unless it is already queued; no-op after shutdown. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // queued by done()
    this.enqueue(key);
  }

  /** Adds `key` after `ms`. A key already waiting keeps the earlier of the two due times. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const due = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing) {
      if (existing.due <= due) return;
      this.clock.clearTimeout(existing.handle);
    }
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { due, handle });
  }

  /**
   * Adds `key` after its next backoff delay (one more failure recorded) and returns that
   * delay in ms; returns 0 and records nothing after shutdown.
   */
  addRateLimited(key: K): number {
    if (this.shuttingDown) return 0;
    const ms = this.backoff.next(key);
    this.addAfter(key, ms);
    return ms;
  }

  /** Clears the failure count of `key` (call after a success); does not dequeue it. */
  forget(key: K): void {
    this.backoff.forget(key);
  }

  /** Consecutive rate-limited adds of `key` since the last `forget`. */
  numRequeues(key: K): number {
    return this.backoff.failuresOf(key);
  }

  /**
   * Waits for the next key and marks it in flight; the caller must call `done(key)`.
   * Resolves `undefined` once the queue is shut down (keys still queued are dropped:
   * reconcilers are level-triggered, the next start lists everything again).
   */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.dequeue();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends processing of `key`; if it was added meanwhile it is queued again now. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key) && !this.shuttingDown) this.enqueue(key);
  }

  /** Keys queued and ready (not in flight, not waiting on a delay). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys handed out and not yet `done`. */
  inFlight(): number {
    return this.processing.size;
  }

  /** Keys waiting on `addAfter`/`addRateLimited` timers. */
  delayedLen(): number {
    return this.delayed.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops accepting keys, cancels delayed adds and wakes every waiting `get()` with `undefined`. */
  shutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { handle } of this.delayed.values()) this.clock.clearTimeout(handle);
    this.delayed.clear();
    for (const wake of this.waiters.splice(0)) wake(undefined);
  }

  private enqueue(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
  }

  private dequeue(): K | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++];
    // Compact now and then so a long-running queue does not keep a growing array.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
