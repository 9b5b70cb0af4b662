import { Metadata, status } from '@grpc/grpc-js';
import { HvsError, type ErrorCategory } from '@hvs/domain';
import { ERROR_CATEGORIES, hvsErrorFromServiceError } from '@hvs/proto';
import { ERROR_STATUS, toGrpcError, toHttpError } from '../../src/errors';

const EXPECTED: Record<ErrorCategory, [status, number]> = {
  InvalidArgument: [status.INVALID_ARGUMENT, 400],
  NotFound: [status.NOT_FOUND, 404],
  AlreadyExists: [status.ALREADY_EXISTS, 409],
  Conflict: [status.ABORTED, 409],
  FailedPrecondition: [status.FAILED_PRECONDITION, 400],
  Gone: [status.OUT_OF_RANGE, 410],
  PermissionDenied: [status.PERMISSION_DENIED, 403],
  Unauthenticated: [status.UNAUTHENTICATED, 401],
  ResourceExhausted: [status.RESOURCE_EXHAUSTED, 429],
  Unavailable: [status.UNAVAILABLE, 503],
  DeadlineExceeded: [status.DEADLINE_EXCEEDED, 504],
  Internal: [status.INTERNAL, 500],
};

function err(category: ErrorCategory): HvsError {
  return new HvsError({ code: 'HVS-TEST-CASE', category, message: 'the thing failed', why: 'because', fix: 'do the other thing' });
}

describe('the error table', () => {
  it('maps every domain category, and nothing else', () => {
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...ERROR_CATEGORIES].sort());
    for (const c of ERROR_CATEGORIES) expect([ERROR_STATUS[c].grpc, ERROR_STATUS[c].http]).toEqual(EXPECTED[c]);
  });

  it('toHttpError gives each category its table status and the whole error as the body', () => {
    for (const c of ERROR_CATEGORIES) {
      const e = toHttpError(err(c));
      expect(e.status).toBe(EXPECTED[c][1]);
      expect(e.body).toEqual({ code: 'HVS-TEST-CASE', category: c, message: 'the thing failed', why: 'because', fix: 'do the other thing', problems: err(c).problems });
    }
  });
});

describe('toGrpcError', () => {
  it.each(ERROR_CATEGORIES)('%s: the table status, a one-line details message and every problem in the trailer', (c) => {
    const problems = [
      { code: 'HVS-VM-MEMORY-INVALID', path: 'vm.yaml#1 spec.memory.size', message: 'memory size "lots" is invalid', why: 'sizes need a binary unit', fix: 'write e.g. 4GiB' },
      { code: 'HVS-NAME-INVALID', path: 'vm.yaml#2 metadata.name', message: 'name "Web_1" is invalid', fix: 'use lowercase letters, digits and -' },
    ];
    const e = toGrpcError(new HvsError({ ...problems[0], category: c, problems }));
    expect(e.code).toBe(EXPECTED[c][0]);
    expect(e.details).toBe('HVS-VM-MEMORY-INVALID: vm.yaml#1 spec.memory.size: memory size "lots" is invalid: sizes need a binary unit; fix: write e.g. 4GiB');
    expect(e.metadata).toBeInstanceOf(Metadata);
    const back = hvsErrorFromServiceError(e);
    expect(back.category).toBe(c);
    expect(back.problems).toEqual(problems);
  });

  it('an unknown error becomes a generic Internal error that leaks neither message nor stack', () => {
    const secret = new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.3:6379');
    const g = toGrpcError(secret);
    expect(g.code).toBe(status.INTERNAL);
    const text = JSON.stringify({ details: g.details, message: g.message, md: g.metadata?.toJSON(), back: hvsErrorFromServiceError(g).problems });
    expect(text).not.toMatch(/hunter2|ECONNREFUSED|at Object|\.ts:/);
    expect(hvsErrorFromServiceError(g).code).toBe('HVS-INTERNAL');
    const h = toHttpError(secret);
    expect(h.status).toBe(500);
    expect(h.body.code).toBe('HVS-INTERNAL');
    expect(JSON.stringify(h)).not.toMatch(/hunter2|ECONNREFUSED/);
  });
});
