import fc from 'fast-check';
import { Metadata, status } from '@grpc/grpc-js';
import { HvsError, type Problem } from '@hvs/domain';
import {
  ERROR_TRAILER, ERROR_TRAILER_MAX_BYTES, GRPC_STATUS_BY_CATEGORY, detailToProblem, errorFromDetails, errorToDetails,
  errorToMetadata, hvsErrorFromServiceError, problemToDetail, problemsFromServiceError, toServiceError, v1,
} from '@hvs/proto';

const problem = (i: number): Problem => ({
  code: 'HVS-VM-NAME-INVALID', path: `vms.yaml#${i} metadata.name`, message: `metadata.name "Web_${i}" is not a DNS label`,
  why: 'names become libvirt domain names and DNS records', fix: "use lowercase letters, digits and '-'",
});

function invalidBatch(n: number): HvsError {
  const problems = Array.from({ length: n }, (_, i) => problem(i));
  return new HvsError({ ...problems[0], category: 'InvalidArgument', message: `${n} document(s) are invalid`, problems });
}

describe('error detail converters', () => {
  const problemArb = fc.record({
    code: fc.stringMatching(/^HVS-[A-Z]+(-[A-Z]+)*$/),
    path: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    message: fc.string(),
    why: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    fix: fc.string(),
  }, { noNullPrototype: true }).map((p) => JSON.parse(JSON.stringify(p)) as Problem);

  it('Problem -> ErrorDetail -> bytes -> Problem is the identity (property)', () => {
    fc.assert(fc.property(problemArb, (p) => {
      const bytes = v1.ErrorDetail.encode(problemToDetail(p)).finish();
      expect(detailToProblem(v1.ErrorDetail.decode(bytes))).toStrictEqual(p);
    }));
  });

  it('HvsError -> ErrorDetails -> HvsError keeps code, category, what/why/fix and every problem', () => {
    const err = invalidBatch(3);
    const back = errorFromDetails(v1.ErrorDetails.decode(v1.ErrorDetails.encode(errorToDetails(err)).finish()));
    expect(back).toBeInstanceOf(HvsError);
    expect({ ...back, message: back.message }).toEqual({ ...err, message: err.message });
  });

  it('an unknown category from a newer server reads as Internal', () => {
    expect(errorFromDetails({ ...errorToDetails(invalidBatch(1)), category: 'Teapot' }).category).toBe('Internal');
  });

  it('maps every category to a distinct gRPC status', () => {
    const codes = Object.values(GRPC_STATUS_BY_CATEGORY);
    expect(new Set(codes).size).toBe(codes.length);
    expect(GRPC_STATUS_BY_CATEGORY.Conflict).toBe(status.ABORTED);
  });
});

describe('hvs-error-bin trailer', () => {
  it('carries every problem when they fit', () => {
    const md = errorToMetadata(invalidBatch(5));
    expect(problemsFromServiceError({ code: status.INVALID_ARGUMENT, details: 'x', metadata: md })).toStrictEqual(invalidBatch(5).problems);
  });

  it('stays within its byte budget and says how many problems it dropped', () => {
    const md = errorToMetadata(invalidBatch(500));
    const raw = md.get(ERROR_TRAILER)[0] as Buffer;
    expect(raw.length).toBeLessThanOrEqual(ERROR_TRAILER_MAX_BYTES);
    const problems = problemsFromServiceError({ code: status.INVALID_ARGUMENT, metadata: md });
    const last = problems[problems.length - 1];
    expect(last.code).toBe('HVS-API-PROBLEMS-TRUNCATED');
    expect(problems.length).toBeGreaterThan(10);
    expect(last.message).toBe(`${500 - (problems.length - 1)} more problem(s) not shown`);
    expect(problems.slice(0, -1)).toStrictEqual(invalidBatch(500).problems.slice(0, problems.length - 1));
  });

  it('keeps a huge single message within budget', () => {
    const err = new HvsError({ code: 'HVS-X', category: 'Internal', message: '€'.repeat(100_000), why: '😀'.repeat(50_000), fix: 'x'.repeat(100_000) });
    const raw = errorToMetadata(err).get(ERROR_TRAILER)[0] as Buffer;
    expect(raw.length).toBeLessThanOrEqual(ERROR_TRAILER_MAX_BYTES);
    expect(problemsFromServiceError({ code: status.INTERNAL, metadata: errorToMetadata(err) })[0].code).toBe('HVS-X');
  });

  it('toServiceError: status from the category, details = the one-line form', () => {
    const se = toServiceError(new HvsError({ code: 'HVS-VM-NOT-FOUND', category: 'NotFound', message: 'vm "a" not found', fix: 'hvctl get vms' }));
    expect(se.code).toBe(status.NOT_FOUND);
    expect(se.details).toBe('HVS-VM-NOT-FOUND: vm "a" not found; fix: hvctl get vms');
  });

  it('toServiceError hides the text of an unexpected error', () => {
    const se = toServiceError(new Error('password=hunter2 leaked'));
    expect(se.code).toBe(status.INTERNAL);
    expect(JSON.stringify(problemsFromServiceError(se))).not.toContain('hunter2');
    expect(se.details).not.toContain('hunter2');
  });

  it('a status without our trailer becomes an HvsError naming the status', () => {
    const err = hvsErrorFromServiceError({ code: status.UNAVAILABLE, details: 'No connection established', metadata: new Metadata() });
    expect(err.code).toBe('HVS-GRPC-UNAVAILABLE');
    expect(err.category).toBe('Unavailable');
    expect(err.message).toContain('No connection established');
    expect(err.fix).toContain('hvctl diagnose');
  });

  it('an unreadable trailer falls back to the status', () => {
    const md = new Metadata();
    md.set(ERROR_TRAILER, Buffer.from([0xff, 0xff, 0xff]));
    expect(hvsErrorFromServiceError({ code: status.ABORTED, details: 'conflict', metadata: md }).category).toBe('Conflict');
  });
});
