import type { BackoffOptions } from './backoff';
import { SystemClock, type Clock, type TimerHandle } from './clock';
import { isTerminalError, type ReconcileResult, type TerminalError } from './result';
import { WorkQueue } from './work-queue';

/** What became of one reconcile call; the label apps put on their duration/outcome metrics. */
export type ReconcileOutcome = 'done' | 'requeueAfter' | 'error' | 'terminal';

/**
 * One reconcile step for `key`: re-read the world, make one step toward the desired state.
 * `signal` aborts when the runner's stop grace period runs out.
 */
export type ReconcileFn<K> = (key: K, signal: AbortSignal) => Promise<ReconcileResult>;

/**
 * Observation points, so apps can log and export metrics without this library depending on a
 * logger or prom-client. Hooks must not throw; an exception from a hook is swallowed so a
 * broken metric cannot stop a worker.
 */
export interface RunnerHooks<K> {
  /** After every call, with the outcome and the call's duration by the runner's clock. */
  onResult?(key: K, outcome: ReconcileOutcome, durationMs: number): void;
  /** A thrown (non-terminal) error; the key is retried after `retryInMs`. */
  onError?(key: K, error: unknown, retryInMs: number): void;
  /** A `TerminalError`: the key is not retried; record it (e.g. as a condition). */
  onTerminal?(key: K, error: TerminalError): void;
}

export interface ReconcilerRunnerOptions<K extends string | number> {
  /** For error messages and the caller's logs/metrics. */
  name: string;
  /** Concurrent workers; a key is never processed by two at once. Default 1. */
  workers?: number;
  clock?: Clock;
  /** Retry backoff for thrown errors (ignored when `queue` is given). */
  backoff?: BackoffOptions;
  /** Bring your own queue (e.g. to share it with an event source); else one is created. */
  queue?: WorkQueue<K>;
  hooks?: RunnerHooks<K>;
}

export interface StopOptions {
  /** How long in-flight reconciles may run before their signal aborts. Default 30 s. */
  graceMs?: number;
}

/**
 * Runs a reconcile function over a work queue with N workers (controller-runtime's
 * controller loop). Guarantees: at most one call per key at a time; `done` and
 * `requeueAfter` reset the key's backoff; a thrown error retries with per-key exponential
 * backoff; a `TerminalError` is reported and not retried; `stop()` takes no new keys and
 * resolves once every in-flight call has returned.
 */
export class ReconcilerRunner<K extends string | number = string> {
  readonly name: string;
  readonly queue: WorkQueue<K>;
  private readonly clock: Clock;
  private readonly workers: number;
  private readonly hooks: RunnerHooks<K>;
  private readonly abort = new AbortController();
  private running: Promise<void>[] | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly reconcile: ReconcileFn<K>,
    opts: ReconcilerRunnerOptions<K>,
  ) {
    this.name = opts.name;
    this.clock = opts.clock ?? new SystemClock();
    this.workers = opts.workers ?? 1;
    if (!Number.isInteger(this.workers) || this.workers < 1) {
      throw new RangeError(`reconciler ${opts.name}: workers must be an integer >= 1, got ${opts.workers}`);
    }
    this.queue = opts.queue ?? new WorkQueue<K>({ clock: this.clock, backoff: opts.backoff });
    this.hooks = opts.hooks ?? {};
  }

  /** Queues `key` for reconciliation (deduplicated). */
  enqueue(key: K): void {
    this.queue.add(key);
  }

  /** Starts the workers. Starting twice is a programming error. */
  start(): void {
    if (this.running) throw new Error(`reconciler ${this.name}: already started`);
    this.running = Array.from({ length: this.workers }, () => this.work());
  }

  /**
   * Stops taking keys and waits for in-flight calls to return; after `graceMs` their signal
   * aborts (they still must return). Idempotent: every call returns the same promise.
   */
  stop(opts: StopOptions = {}): Promise<void> {
    if (!this.stopping) this.stopping = this.drain(opts.graceMs ?? 30_000);
    return this.stopping;
  }

  private async drain(graceMs: number): Promise<void> {
    this.queue.shutdown();
    const workers = this.running ?? [];
    if (workers.length === 0) return;
    const timer: TimerHandle = this.clock.setTimeout(() => this.abort.abort(new Error(`reconciler ${this.name}: stopped`)), graceMs);
    try {
      await Promise.all(workers);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.processOne(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async processOne(key: K): Promise<void> {
    const started = this.clock.now();
    let result: ReconcileResult | undefined;
    let error: unknown;
    let failed = false;
    try {
      result = await this.reconcile(key, this.abort.signal);
      if (!isResult(result)) throw new TypeError(`reconciler ${this.name} returned ${JSON.stringify(result)}, not done() or requeueAfter(ms)`);
    } catch (e) {
      failed = true;
      error = e;
    }
    const duration = this.clock.now() - started;

    if (failed && isTerminalError(error)) {
      this.queue.forget(key);
      this.call(() => this.hooks.onTerminal?.(key, error as TerminalError));
      this.call(() => this.hooks.onResult?.(key, 'terminal', duration));
    } else if (failed) {
      const retryInMs = this.queue.addRateLimited(key);
      this.call(() => this.hooks.onError?.(key, error, retryInMs));
      this.call(() => this.hooks.onResult?.(key, 'error', duration));
    } else if (result?.kind === 'requeueAfter') {
      this.queue.forget(key);
      this.queue.addAfter(key, result.ms);
      this.call(() => this.hooks.onResult?.(key, 'requeueAfter', duration));
    } else {
      this.queue.forget(key);
      this.call(() => this.hooks.onResult?.(key, 'done', duration));
    }
  }

  private call(hook: () => void): void {
    try {
      hook();
    } catch {
      // See RunnerHooks: a hook's failure must not stop the worker or change the outcome.
    }
  }
}

function isResult(r: unknown): r is ReconcileResult {
  if (typeof r !== 'object' || r === null) return false;
  const kind = (r as { kind?: unknown }).kind;
  return kind === 'done' || (kind === 'requeueAfter' && typeof (r as { ms?: unknown }).ms === 'number');
}
