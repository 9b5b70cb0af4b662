/**
 * Domain errors over gRPC. A server answers a failed call with the gRPC status
 * derived from HvsError.category (one table below) and the whole error, every
 * problem included, as ErrorDetails in the trailing metadata key
 * `hvs-error-bin`. Clients rebuild the HvsError from the trailer; calls that
 * fail before reaching our handlers (no server, deadline, TLS) get an HvsError
 * built from the bare status.
 */
import { Metadata, status, type ServerErrorResponse, type ServiceError } from '@grpc/grpc-js';
import { formatProblem, HvsError, type ErrorCategory, type Problem } from '@hvs/domain';
import { ErrorDetails } from './gen/hvs/v1/errors.js';
import { errorFromDetails, errorToDetails } from './convert/errors.js';

export const ERROR_TRAILER = 'hvs-error-bin';

/**
 * The trailer's budget. gRPC peers commonly cap all metadata near 8 KiB and
 * `-bin` values travel base64 (4/3 larger), so the encoded details stay under
 * 6 KiB: problems beyond it are replaced by one HVS-API-PROBLEMS-TRUNCATED entry.
 */
export const ERROR_TRAILER_MAX_BYTES = 6 * 1024;
// 400 UTF-16 units stay under 1.2 KiB of UTF-8, so the head of the error always fits the budget.
const FIELD_MAX_CHARS = 400;

export const GRPC_STATUS_BY_CATEGORY: Readonly<Record<ErrorCategory, status>> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  NotFound: status.NOT_FOUND,
  AlreadyExists: status.ALREADY_EXISTS,
  Conflict: status.ABORTED,
  FailedPrecondition: status.FAILED_PRECONDITION,
  Gone: status.OUT_OF_RANGE,
  PermissionDenied: status.PERMISSION_DENIED,
  Unauthenticated: status.UNAUTHENTICATED,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
  Unavailable: status.UNAVAILABLE,
  DeadlineExceeded: status.DEADLINE_EXCEEDED,
  Internal: status.INTERNAL,
};

/** For statuses without our trailer. Several statuses fold into Internal. */
const CATEGORY_BY_GRPC_STATUS: Partial<Record<status, ErrorCategory>> = Object.fromEntries(
  Object.entries(GRPC_STATUS_BY_CATEGORY).map(([category, code]) => [code, category as ErrorCategory]),
);

/** Trailing metadata carrying every problem of `err`, trimmed to the trailer budget. */
export function errorToMetadata(err: HvsError, metadata: Metadata = new Metadata()): Metadata {
  metadata.set(ERROR_TRAILER, Buffer.from(encodeWithinBudget(err)));
  return metadata;
}

/**
 * The value to pass to a grpc-js unary callback or `call.destroy()`/`emit('error')`
 * of a stream. Anything not an HvsError becomes HVS-INTERNAL without its
 * message (which may hold internals); log the original before calling this.
 */
export function toServiceError(e: unknown): ServerErrorResponse {
  const err = asHvsError(e);
  const out = new Error(clamp(formatProblem(err))) as ServerErrorResponse;
  out.code = GRPC_STATUS_BY_CATEGORY[err.category];
  out.details = out.message;
  out.metadata = errorToMetadata(err);
  return out;
}

/** `e` itself when it is an HvsError, else the generic HVS-INTERNAL (whose text says nothing of `e`: log `e` first). */
export function asHvsError(e: unknown): HvsError {
  return isHvs(e) ? e : new HvsError({
    code: 'HVS-INTERNAL', category: 'Internal', message: 'the server failed to handle the call',
    why: 'an unexpected error occurred; the server log has the details', fix: 'retry; if it persists, report it with the server log',
  });
}

/** Every problem a failed call reported (from the trailer, else one made from the status). */
export function problemsFromServiceError(err: unknown): Problem[] {
  return hvsErrorFromServiceError(err).problems;
}

/** The HvsError a server sent, or one describing a transport failure. */
export function hvsErrorFromServiceError(err: unknown): HvsError {
  if (isHvs(err)) return err;
  const se = err as Partial<ServiceError>;
  const raw = se?.metadata instanceof Metadata ? se.metadata.get(ERROR_TRAILER)[0] : undefined;
  if (raw instanceof Uint8Array) {
    try {
      return errorFromDetails(ErrorDetails.decode(raw));
    } catch {
      // A trailer we cannot read: fall through to the bare status.
    }
  }
  const code = typeof se?.code === 'number' ? (se.code as status) : status.UNKNOWN;
  const name = status[code] ?? 'UNKNOWN';
  const details = typeof se?.details === 'string' && se.details !== '' ? se.details : String((err as Error)?.message ?? err);
  return new HvsError({
    code: `HVS-GRPC-${name.replace(/_/g, '-')}`,
    category: CATEGORY_BY_GRPC_STATUS[code] ?? 'Internal',
    message: `the call failed with gRPC status ${name}: ${details}`,
    why: transportWhy(code),
    fix: code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED
      ? 'check the server is running and reachable (address, TLS certificates); run `hvctl diagnose`'
      : code === status.RESOURCE_EXHAUSTED
        ? 'send less in one call: split the manifest into several files and apply them one by one (each apply stays all or nothing)'
        : 'check the server log for this call; client and server versions may differ',
  });
}

function transportWhy(code: status): string {
  if (code === status.UNAVAILABLE) return 'the server could not be reached or closed the connection';
  if (code === status.DEADLINE_EXCEEDED) return 'no answer arrived before the deadline';
  if (code === status.UNIMPLEMENTED) return 'the server does not offer this method (an older version?)';
  if (code === status.RESOURCE_EXHAUSTED) return 'the message is larger than the receiver accepts (the controller takes requests of up to 4 MiB)';
  return 'the server sent no Hypervisor Suite error details';
}

function encodeWithinBudget(err: HvsError): Uint8Array {
  const details = errorToDetails(err);
  for (const d of [details, ...details.problems]) {
    d.message = clamp(d.message); d.why = clamp(d.why); d.fix = clamp(d.fix); d.path = clamp(d.path);
  }
  let bytes = ErrorDetails.encode(details).finish();
  if (bytes.length <= ERROR_TRAILER_MAX_BYTES) return bytes;
  const all = details.problems;
  // Largest prefix that still fits next to the truncation note (binary search on the count).
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ErrorDetails.encode(withPrefix(details, all, mid)).finish().length <= ERROR_TRAILER_MAX_BYTES) lo = mid;
    else hi = mid - 1;
  }
  bytes = ErrorDetails.encode(withPrefix(details, all, lo)).finish();
  return bytes;
}

function withPrefix(details: ErrorDetails, all: ErrorDetails['problems'], keep: number): ErrorDetails {
  const dropped = all.length - keep;
  return {
    ...details,
    problems: [...all.slice(0, keep), {
      code: 'HVS-API-PROBLEMS-TRUNCATED', path: '',
      message: `${dropped} more problem(s) not shown`, why: 'the error trailer has a size limit',
      fix: 'fix the problems shown and retry, or split the batch into smaller ones',
    }],
  };
}

function clamp(s: string): string {
  return s.length <= FIELD_MAX_CHARS ? s : `${s.slice(0, FIELD_MAX_CHARS - 1)}…`;
}

function isHvs(e: unknown): e is HvsError {
  return e instanceof HvsError;
}
