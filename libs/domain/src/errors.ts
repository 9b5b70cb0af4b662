/**
 * Every error a person can see carries: a stable code (`HVS-VM-NAME-INVALID`), what failed,
 * why, and how to fix it. `category` is the single input to the transport mapping
 * (gRPC status / HTTP status), kept in one table by the API layer.
 */
export type ErrorCategory =
  | 'InvalidArgument'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'FailedPrecondition'
  | 'Gone'
  | 'PermissionDenied'
  | 'Unauthenticated'
  | 'ResourceExhausted'
  | 'Unavailable'
  | 'DeadlineExceeded'
  | 'Internal';

/** One thing wrong with one input, e.g. one field of one document. */
export interface Problem {
  /** Stable code, `HVS-<AREA>-<WHAT>`. */
  code: string;
  /** Where: a field path (`spec.disks[0].size`), optionally prefixed by file/document. */
  path?: string;
  /** What failed, in one sentence, naming the offending value when it is not secret. */
  message: string;
  /** Why it is not accepted. */
  why?: string;
  /** How to fix it: an action, a command or a doc link. */
  fix: string;
}

export interface HvsErrorInit extends Problem {
  category: ErrorCategory;
  problems?: Problem[];
  cause?: unknown;
}

export class HvsError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly path?: string;
  readonly why?: string;
  readonly fix: string;
  /** Every problem found (validation reports all at once). */
  readonly problems: Problem[];

  constructor(init: HvsErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'HvsError';
    this.code = init.code;
    this.category = init.category;
    this.path = init.path;
    this.why = init.why;
    this.fix = init.fix;
    this.problems = init.problems ?? [{ code: init.code, path: init.path, message: init.message, why: init.why, fix: init.fix }];
  }

  /** `CODE: message (why); fix: ...`, the one-line form used by logs and CLIs. */
  override toString(): string {
    return formatProblem(this);
  }
}

export function formatProblem(p: Problem): string {
  const where = p.path ? `${p.path}: ` : '';
  const why = p.why ? `: ${p.why}` : '';
  return `${p.code}: ${where}${p.message}${why}; fix: ${p.fix}`;
}

export function isHvsError(e: unknown): e is HvsError {
  return e instanceof HvsError;
}
