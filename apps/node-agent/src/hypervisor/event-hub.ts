/**
 * Fan-out of events to any number of async-iterator subscribers. Each subscriber gets every
 * event published after it subscribed, in order; a slow consumer buffers (events are small and
 * rare). Subscriptions end when the hub closes or the consumer stops iterating.
 */
export class EventHub<T> {
  private readonly subscribers = new Set<Subscriber<T>>();
  private closed = false;

  constructor(private readonly hooks: { onFirst?: () => void; onLast?: () => void } = {}) {}

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  publish(event: T): void {
    for (const s of this.subscribers) s.push(event);
  }

  subscribe(): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: () => {
        const sub = new Subscriber<T>(() => {
          this.subscribers.delete(sub);
          if (this.subscribers.size === 0) this.hooks.onLast?.();
        });
        if (this.closed) {
          sub.end();
        } else {
          this.subscribers.add(sub);
          if (this.subscribers.size === 1) this.hooks.onFirst?.();
        }
        return sub;
      },
    };
  }

  close(): void {
    this.closed = true;
    for (const s of [...this.subscribers]) s.end();
  }
}

class Subscriber<T> implements AsyncIterator<T> {
  private readonly buffer: T[] = [];
  /** Pending next() calls, oldest first (the protocol allows several at once). */
  private readonly waiting: ((r: IteratorResult<T>) => void)[] = [];
  private done = false;

  constructor(private readonly onDone: () => void) {}

  push(value: T): void {
    if (this.done) return;
    const w = this.waiting.shift();
    if (w) w({ value, done: false });
    else this.buffer.push(value);
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.onDone();
    for (const w of this.waiting.splice(0)) w({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift() as T, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.buffer.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }
}
