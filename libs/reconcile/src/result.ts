/**
 * The three outcomes of one reconcile step (controller-runtime's reconcile.Result):
 * return `done()` or `requeueAfter(ms)`, or throw. A thrown error is retried with per-key
 * backoff; a `TerminalError` is not retried (the caller records it, e.g. as a condition).
 */
export type ReconcileResult = { kind: 'done' } | { kind: 'requeueAfter'; ms: number };

const DONE: ReconcileResult = Object.freeze({ kind: 'done' });

/** The world matches the desired state (as far as this step can tell): wait for the next change. */
export function done(): ReconcileResult {
  return DONE;
}

/** Check again after `ms` (e.g. polling a job), without counting it as a failure. */
export function requeueAfter(ms: number): ReconcileResult {
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`requeueAfter: ms must be a finite number >= 0, got ${ms}`);
  return { kind: 'requeueAfter', ms };
}

/**
 * An error that retrying will not fix (bad spec, missing device that needs a human). The
 * runner reports it through `onTerminal` and does not requeue the key; the next change to
 * the object adds the key again.
 */
export class TerminalError extends Error {
  /** Short CamelCase reason for a condition (`InvalidSpec`), when the thrower has one. */
  readonly reason?: string;

  constructor(message: string, opts: { cause?: unknown; reason?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TerminalError';
    this.reason = opts.reason;
  }
}

export function isTerminalError(e: unknown): e is TerminalError {
  return e instanceof TerminalError;
}
