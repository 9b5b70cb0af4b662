/**
 * A single-consumer async queue behind a WatchStream: the producer pushes events, ends, or fails
 * it; the consumer iterates. After `fail`, queued events are still delivered, then the error is
 * thrown. `onClose` runs once when the consumer stops (close(), break, or end of iteration).
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private error: unknown;
  private ended = false;
  private closed = false;

  constructor(private readonly onClose: () => Promise<void> | void = () => undefined) {}

  push(item: T): void {
    if (this.ended || this.closed) return;
    this.items.push(item);
    this.wake();
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
          yield this.items.shift()!;
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
