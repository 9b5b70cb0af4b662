/** Stops and restarts a queue's producer (see EventQueue). */
export interface QueuePressure {
  highWater: number;
  pause(): void;
  resume(): void;
}

/** Events one watch holds for a slow consumer before it stops reading etcd. */
export const WATCH_QUEUE_HIGH_WATER = 64;

/**
 * A single-consumer async queue behind a WatchStream: the producer pushes events, ends, or fails
 * it; the consumer iterates. After `fail`, queued events are still delivered, then the error is
 * thrown. `onClose` runs once when the consumer stops (close(), break, or end of iteration).
 * With `pressure`, a slow consumer cannot make it grow without bound: `pause()` runs when
 * `highWater` items wait, `resume()` when the consumer has taken them down to half of it (the
 * producer stops reading its source meanwhile; etcd keeps the history).
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private error: unknown;
  private ended = false;
  private closed = false;
  private paused = false;

  constructor(private readonly onClose: () => Promise<void> | void = () => undefined, private readonly pressure?: QueuePressure) {}

  push(item: T): void {
    if (this.ended || this.closed) return;
    this.items.push(item);
    if (this.pressure && !this.paused && this.items.length >= this.pressure.highWater) {
      this.paused = true;
      this.pressure.pause();
    }
    this.wake();
  }

  /** Events waiting for the consumer. */
  get buffered(): number {
    return this.items.length;
  }

  /** Whether the producer was asked to stop reading (the queue is at its high-water mark). */
  get isPaused(): boolean {
    return this.paused;
  }

  fail(error: unknown): void {
    if (this.ended || this.closed) return;
    this.error = error;
    this.ended = true;
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ended, failed or closed: the producer should stop. */
  get isDone(): boolean {
    return this.ended || this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ended = true;
    this.wake();
    await this.onClose();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        if (this.items.length > 0) {
          const item = this.items.shift()!;
          if (this.paused && this.items.length <= this.pressure!.highWater / 2) {
            this.paused = false;
            this.pressure!.resume();
          }
          yield item;
          continue;
        }
        if (this.closed) return;
        if (this.ended) {
          if (this.error !== undefined) throw this.error;
          return;
        }
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      await this.close();
    }
  }
}
