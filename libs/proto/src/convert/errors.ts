import { HvsError, type ErrorCategory, type Problem } from '@hvs/domain';
import type { ErrorDetail, ErrorDetails } from '../gen/hvs/v1/errors.js';

export const ERROR_CATEGORIES: readonly ErrorCategory[] = [
  'InvalidArgument', 'NotFound', 'AlreadyExists', 'Conflict', 'FailedPrecondition', 'Gone',
  'PermissionDenied', 'Unauthenticated', 'ResourceExhausted', 'Unavailable', 'DeadlineExceeded', 'Internal',
];

export function isErrorCategory(s: string): s is ErrorCategory {
  return (ERROR_CATEGORIES as readonly string[]).includes(s);
}

export function problemToDetail(p: Problem): ErrorDetail {
  return { code: p.code, path: p.path ?? '', message: p.message, why: p.why ?? '', fix: p.fix };
}

/** proto3 has no absent strings: an empty path or why comes back absent. */
export function detailToProblem(d: ErrorDetail): Problem {
  const p: Problem = { code: d.code, message: d.message, fix: d.fix };
  if (d.path !== '') p.path = d.path;
  if (d.why !== '') p.why = d.why;
  return p;
}

export function errorToDetails(err: HvsError): ErrorDetails {
  return {
    code: err.code,
    category: err.category,
    message: err.message,
    why: err.why ?? '',
    fix: err.fix,
    path: err.path ?? '',
    problems: err.problems.map(problemToDetail),
  };
}

/** Rebuilds the HvsError a server sent. An unknown category (newer server) reads as Internal. */
export function errorFromDetails(d: ErrorDetails): HvsError {
  return new HvsError({
    code: d.code,
    category: isErrorCategory(d.category) ? d.category : 'Internal',
    message: d.message,
    fix: d.fix,
    ...(d.why !== '' ? { why: d.why } : {}),
    ...(d.path !== '' ? { path: d.path } : {}),
    problems: d.problems.map(detailToProblem),
  });
}
