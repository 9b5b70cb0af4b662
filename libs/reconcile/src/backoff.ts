/**
 * Per-key exponential backoff (client-go's ItemExponentialFailureRateLimiter): the n-th
 * consecutive failure of a key waits `baseMs * factor^(n-1)`, capped at `maxMs`. A success
 * (`forget`) starts the key over. Deterministic: no jitter, so tests can assert exact delays.
 */
export interface BackoffOptions {
  /** Delay after the first failure. Default 100 ms. */
  baseMs?: number;
  /** Growth per further failure. Default 2. */
  factor?: number;
  /** Upper bound of any delay. Default 60 s. */
  maxMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 100, factor: 2, maxMs: 60_000 };

export class ExponentialBackoff<K> {
  private readonly failures = new Map<K, number>();
  private readonly opts: Required<BackoffOptions>;

  constructor(opts: BackoffOptions = {}) {
    this.opts = { ...DEFAULT_BACKOFF, ...opts };
    const { baseMs, factor, maxMs } = this.opts;
    if (!(baseMs >= 0) || !(factor >= 1) || !(maxMs >= baseMs)) {
      throw new RangeError(`backoff needs baseMs >= 0, factor >= 1, maxMs >= baseMs; got ${baseMs}, ${factor}, ${maxMs}`);
    }
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const { baseMs, factor, maxMs } = this.opts;
    // Computed in floating point and capped; factor^n overflows to Infinity, never NaN, for n >= 0.
    return Math.min(maxMs, baseMs * Math.pow(factor, n));
  }

  /** Consecutive failures recorded for `key` since the last `forget`. */
  failuresOf(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }
}
