/**
 * Turning any thrown value into what a client may see. An HvsError passes through with
 * its code, message, why, fix and problems. Anything else is an internal fault: the
 * client gets a generic HVS-INTERNAL (never the message, stack or anything it may hold,
 * such as a connection string); the caller logs the original.
 */
import type { ServerErrorResponse } from '@grpc/grpc-js';
import { HvsError, isHvsError, type ErrorCategory, type Problem } from '@hvs/domain';
import { toServiceError } from '@hvs/proto';
import { HTTP_STATUS_BY_CODE, statusOf } from './status-table';

export function internalError(): HvsError {
  return new HvsError({
    code: 'HVS-INTERNAL',
    category: 'Internal',
    message: 'the server failed to handle the request',
    why: 'an unexpected error occurred; the controller log has the details',
    fix: 'retry; if it persists, report it with the controller log (`journalctl -u hvs-controller` or the data dir log)',
  });
}

/** The HvsError to show for `e`: itself, or the generic internal error. */
export function toHvsError(e: unknown): HvsError {
  return isHvsError(e) ? e : internalError();
}

/**
 * For a grpc-js handler (`callback(toGrpcError(e))`, `call.destroy(toGrpcError(e))`): the
 * status from the table, a one-line `CODE: what: why; fix: ...` as details, and every
 * problem as ErrorDetails in the `hvs-error-bin` trailer (libs/proto).
 */
export function toGrpcError(e: unknown): ServerErrorResponse {
  return toServiceError(toHvsError(e));
}

export interface HttpErrorBody {
  code: string;
  category: ErrorCategory;
  message: string;
  why?: string;
  fix: string;
  path?: string;
  problems: Problem[];
}

export interface HttpError {
  status: number;
  body: HttpErrorBody;
}

/** The REST error: status from the table and the error as a JSON body. */
export function toHttpError(e: unknown): HttpError {
  const err = toHvsError(e);
  const body: HttpErrorBody = { code: err.code, category: err.category, message: err.message, fix: err.fix, problems: err.problems };
  if (err.why !== undefined) body.why = err.why;
  if (err.path !== undefined) body.path = err.path;
  return { status: HTTP_STATUS_BY_CODE[err.code] ?? statusOf(err.category).http, body };
}
