/**
 * Time as an injected dependency (the Kubernetes lease controller habit): everything in this
 * library that waits asks a `Clock`, so tests drive time with `FakeClock` and never sleep.
 */

/** Opaque timer handle: only ever passed back to the clock that returned it. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch (SystemClock) or since the fake's start value. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Idempotent: clearing a fired or unknown handle does nothing. */
  clearTimeout(handle: TimerHandle): void;
  /** Resolves after `ms`; rejects with the signal's reason when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The real clock: `Date.now()` and Node's timers. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return globalThis.setTimeout(fn, Math.max(0, ms));
  }

  clearTimeout(handle: TimerHandle): void {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

interface FakeTimer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * Lets pending promise chains run to completion: a macrotask turn runs every queued microtask
 * first, however deep the chain. Not a sleep: no wall-clock time is waited for. Uses the real
 * `setImmediate`, so do not combine FakeClock with jest's fake timers (they would freeze it).
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that moves only when told. `await clock.advance(ms)` fires every timer due within
 * `ms`, in due-time order (ties: creation order), setting `now()` to each timer's due time
 * before firing it and letting promise chains settle between timers, so code that awaits a
 * timer and then sets another (a worker loop) behaves as it would in real time.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.current + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers not yet fired or cleared. */
  pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms` (>= 0), firing due timers in order; see the class comment. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.current + ms;
    await settle();
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers.delete(next.id);
      this.current = Math.max(this.current, next.due);
      next.fn();
      await settle();
    }
    this.current = target;
    await settle();
  }

  /** Lets pending promise chains settle without moving time (fires timers due now). */
  flush(): Promise<void> {
    return this.advance(0);
  }

  private nextDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.due > limit) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  }
}
