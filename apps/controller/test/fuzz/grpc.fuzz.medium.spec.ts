/**
 * gRPC fuzz (issue 12 item 10): every method of every hvs.v1 service, called by an admin, a viewer
 * and an anonymous caller with random valid messages and with garbage bytes, against the real
 * controller on a real etcd. For every call: no INTERNAL or UNKNOWN; a refusal carries the
 * `hvs-error-bin` trailer with an HVS code (garbage: INVALID_ARGUMENT HVS-API-MESSAGE-INVALID
 * or a coded refusal of what it decoded to); no stack or path in the status message; a refused
 * call writes nothing but its audit record (an unauthenticated one nothing at all); the server
 * and gRPC health stay up. Replay a failure with the seed it prints (test/harness/fuzz.ts).
 */
import { Client, Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ERROR_TRAILER, v1 } from '@hvs/proto';
import fc from 'fast-check';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { runFuzz } from '../../../../test/harness/fuzz';
import { GRPC_MAX_RECEIVE_BYTES } from '../../src/api/grpc/grpc-server';
import { startController, type ControllerUnderTest } from '../api/controller-under-test';
import { expectNoLeak, expectRefusalWroteNothing, HVS_CODE } from './answer-checks';
import { EtcdWrites, type EtcdWrite } from './etcd-writes';
import { FUZZ_CALLERS, grpcCredentials, type FuzzCaller } from './fuzz-credentials';
import { fuzzMethods, garbageArb, type FuzzMethod } from './grpc-messages';

jest.setTimeout(120_000);

const CALL_DEADLINE_MS = 10_000;
/** A stream that neither failed nor sent anything by then is open and healthy: cancel it. */
const STREAM_LOOK_MS = 150;
const identity = (b: Buffer) => b;

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
let writes: EtcdWrites;
const clients = new Map<FuzzCaller, Client>();

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
  writes = await EtcdWrites.open(etcd.endpoint);
  for (const caller of FUZZ_CALLERS) {
    clients.set(caller, new Client(ctl.grpc, await grpcCredentials(ctl, caller), ctl.options));
  }
});
afterAll(async () => {
  for (const client of clients.values()) client.close();
  await writes?.close();
  await ctl?.close();
  await etcd?.stop();
});

interface Answer {
  code: status;
  details: string;
  metadata: Metadata;
  /** We cancelled an open stream (no verdict from the server). */
  cancelledByUs: boolean;
}

function send(caller: FuzzCaller, method: Pick<FuzzMethod, 'path' | 'responseStream'>, payload: Buffer): Promise<Answer> {
  const client = clients.get(caller)!;
  const deadline = new Date(Date.now() + CALL_DEADLINE_MS);
  return new Promise((resolve) => {
    if (!method.responseStream) {
      client.makeUnaryRequest(method.path, identity, identity, payload, new Metadata(), { deadline }, (err: ServiceError | null, res?: Buffer) => {
        if (res) expectNoLeak(res.toString('latin1'), `${method.path} answer`);
        resolve(err ? { code: err.code, details: err.details, metadata: err.metadata, cancelledByUs: false } : { code: status.OK, details: '', metadata: new Metadata(), cancelledByUs: false });
      });
      return;
    }
    const call = client.makeServerStreamRequest(method.path, identity, identity, payload, new Metadata(), { deadline });
    let cancelled = false;
    const stop = () => {
      if (!cancelled) {
        cancelled = true;
        call.cancel();
      }
    };
    const timer = setTimeout(stop, STREAM_LOOK_MS);
    call.on('data', (chunk: Buffer) => {
      expectNoLeak(chunk.toString('latin1'), `${method.path} stream message`);
      stop();
    });
    call.on('error', () => undefined);
    call.on('status', (s: StatusObject) => {
      clearTimeout(timer);
      resolve({ code: s.code, details: s.details, metadata: s.metadata, cancelledByUs: cancelled && s.code === status.CANCELLED });
    });
  });
}

function trailerCode(md: Metadata): string | undefined {
  const raw = md.get(ERROR_TRAILER)[0];
  if (!(raw instanceof Uint8Array)) return undefined;
  return v1.ErrorDetails.decode(raw).code;
}

/** The checks every call's answer must pass; returns the HVS code of a refusal. */
function check(payload: Buffer, answer: Answer, written: EtcdWrite[], where: string): string | undefined {
  if (answer.code === status.INTERNAL || answer.code === status.UNKNOWN) {
    throw new Error(`${where}: answered ${status[answer.code]} "${answer.details}" (trailer code ${trailerCode(answer.metadata) ?? 'none'})`);
  }
  if (answer.code === status.DEADLINE_EXCEEDED && !trailerCode(answer.metadata)) throw new Error(`${where}: no answer within ${CALL_DEADLINE_MS} ms`);
  expectNoLeak(answer.details, `${where} status message`);
  if (answer.code === status.OK || answer.cancelledByUs) return undefined;
  const code = trailerCode(answer.metadata);
  // grpc-js refuses a message over the receive limit itself, before any of our code runs.
  const transportLimit = answer.code === status.RESOURCE_EXHAUSTED && payload.length > GRPC_MAX_RECEIVE_BYTES;
  if (!transportLimit && (code === undefined || !HVS_CODE.test(code))) {
    throw new Error(`${where}: ${status[answer.code]} "${answer.details}" without an HVS code in ${ERROR_TRAILER}`);
  }
  expectRefusalWroteNothing(written, answer.code === status.UNAUTHENTICATED, where);
  return code;
}

async function expectHealthy(): Promise<void> {
  const answer = await new Promise<Buffer>((resolve, reject) => {
    clients.get('anonymous')!.makeUnaryRequest('/grpc.health.v1.Health/Check', identity, identity, Buffer.alloc(0), new Metadata(), { deadline: new Date(Date.now() + CALL_DEADLINE_MS) },
      (err: ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res!)));
  });
  // HealthCheckResponse{status: SERVING (1)}
  expect([...answer]).toEqual([0x08, 0x01]);
  expect((await fetch(`${ctl.http.replace(/\/api\/v1$/, '')}/healthz`)).status).toBe(200);
}

describe('gRPC fuzz: every hvs.v1 method, valid messages and garbage, as admin, viewer and anonymous', () => {
  const methods = fuzzMethods();

  it('enumerates every method of the generated services (and the server serves each)', async () => {
    expect(methods.length).toBeGreaterThanOrEqual(20);
    for (const m of methods) {
      const answer = await send('admin', m, Buffer.from([0x0f]));
      expect({ path: m.path, code: status[answer.code], trailer: trailerCode(answer.metadata) }).toEqual({ path: m.path, code: 'INVALID_ARGUMENT', trailer: 'HVS-API-MESSAGE-INVALID' });
    }
    await writes.settle();
  });

  it('valid and garbage requests are answered with coded errors, write nothing when refused, and leave the server healthy', async () => {
    const seen = new Map<string, number>();
    const caseArb = fc.record({
      caller: fc.constantFrom(...FUZZ_CALLERS),
      method: fc.constantFrom(...methods),
      garbage: fc.boolean(),
    }).chain(({ caller, method, garbage }) => method.requests.chain((request) => {
      const valid = method.encode(request);
      return (garbage ? garbageArb(valid) : fc.constant(valid)).map((payload) => ({ caller, method, garbage, request, payload }));
    }));
    const property = fc.asyncProperty(caseArb, async ({ caller, method, garbage, payload }) => {
      await writes.settle();
      const answer = await send(caller, method, payload);
      const written = await writes.settle();
      const where = `${caller} ${method.path} (${garbage ? 'garbage' : 'valid'}, ${payload.length} bytes)`;
      const code = check(payload, answer, written, where);
      const key = `${status[answer.code]}${code ? ` ${code}` : ''}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    });
    const outcome = await runFuzz('gRPC', property, { numRuns: 5_000, timeLimitMs: 20_000 });
    process.stdout.write(`fuzz gRPC answers: ${[...seen].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}=${n}`).join(', ')}\n`);
    expect(outcome.numRuns).toBeGreaterThan(0);
    await expectHealthy();
  });
});
