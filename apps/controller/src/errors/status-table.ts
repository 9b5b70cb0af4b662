/**
 * THE table: domain ErrorCategory -> gRPC status and HTTP status. Both transports read
 * it; nothing else maps errors to status codes. The gRPC column is the one
 * libs/proto's `toServiceError` sends (GRPC_STATUS_BY_CATEGORY), referenced rather than
 * copied so the two can never drift; a test checks every category has both.
 */
import { status } from '@grpc/grpc-js';
import type { ErrorCategory } from '@hvs/domain';
import { GRPC_STATUS_BY_CATEGORY } from '@hvs/proto';

export interface TransportStatus {
  grpc: status;
  http: number;
}

const HTTP_STATUS_BY_CATEGORY: Readonly<Record<ErrorCategory, number>> = {
  InvalidArgument: 400,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409, // stale resourceVersion, as Kubernetes answers it
  FailedPrecondition: 400, // google.rpc: FAILED_PRECONDITION -> 400; the body's code says which
  Gone: 410, // watch revision compacted: re-list
  PermissionDenied: 403,
  Unauthenticated: 401,
  ResourceExhausted: 429,
  Unavailable: 503,
  DeadlineExceeded: 504,
  Internal: 500,
};

export const ERROR_STATUS: Readonly<Record<ErrorCategory, TransportStatus>> = Object.freeze(
  Object.fromEntries(
    (Object.keys(HTTP_STATUS_BY_CATEGORY) as ErrorCategory[]).map((c) => [c, Object.freeze({ grpc: GRPC_STATUS_BY_CATEGORY[c], http: HTTP_STATUS_BY_CATEGORY[c] })]),
  ) as Record<ErrorCategory, TransportStatus>,
);

/**
 * HTTP-only refusals whose status says more than their category's: they happen before any
 * service runs and have no gRPC form (the gRPC port has no Host, Origin or content types).
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<string, number>> = Object.freeze({
  'HVS-API-CONTENT-TYPE-UNSUPPORTED': 415, // RFC 9110 15.5.16
  'HVS-API-HOST-NOT-ALLOWED': 421, // Misdirected Request: this server does not answer for that name
});

export function statusOf(category: ErrorCategory): TransportStatus {
  return ERROR_STATUS[category] ?? ERROR_STATUS.Internal;
}
