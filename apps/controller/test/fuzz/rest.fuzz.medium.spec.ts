/**
 * REST fuzz (issue 12 item 10): random methods, paths, query strings, headers, content types and
 * bodies against the real controller app on a real etcd, sent by an admin, a viewer and an
 * anonymous caller (credentials from fuzz-credentials.ts only). For every request: no 5xx, no dropped
 * connection; a refusal is a JSON body with an HVS code, message and fix; no stack or path in any
 * answer; a refused request writes nothing but its audit record (a 401 nothing at all); /healthz
 * and gRPC health stay green. Replay a failure with the seed it prints (test/harness/fuzz.ts).
 */
import * as net from 'node:net';
import fc from 'fast-check';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { runFuzz } from '../../../../test/harness/fuzz';
import { call, documents, startController, type ControllerUnderTest } from '../api/controller-under-test';
import { NETWORK_YAML } from '../services/manifests';
import { expectNoLeak, expectRefusalWroteNothing, HVS_CODE } from './answer-checks';
import { EtcdWrites, type EtcdWrite } from './etcd-writes';
import { FUZZ_CALLERS, restCredentials } from './fuzz-credentials';
import { restRequestArb, sendRest, type RestAnswer, type RestRequest } from './rest-requests';

jest.setTimeout(120_000);

const REQUEST_TIMEOUT_MS = 10_000;
const STREAM_LOOK_MS = 150;

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
let writes: EtcdWrites;
let base: string;

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
  writes = await EtcdWrites.open(etcd.endpoint);
  base = ctl.http.replace(/\/api\/v1$/, '');
});
afterAll(async () => {
  await writes?.close();
  await ctl?.close();
  await etcd?.stop();
});

function describeRequest(req: RestRequest): string {
  return `${req.method} ${req.path.slice(0, 300)} [${JSON.stringify(req.headers).slice(0, 300)}] body ${req.body?.length ?? 'none'} bytes`;
}

/** The checks every answer must pass; returns the HVS code of a refusal. */
function check(req: RestRequest, answer: RestAnswer, written: EtcdWrite[], where: string): string | undefined {
  if (answer.status >= 500) throw new Error(`${where}: answered ${answer.status}: ${answer.body.slice(0, 1_000)}`);
  expectNoLeak(`${JSON.stringify(answer.headers)}\n${answer.body}`, where);
  if (answer.status < 400) return undefined;
  let code: string | undefined;
  if (req.method !== 'HEAD') {
    let body: { code?: unknown; message?: unknown; fix?: unknown };
    try {
      body = JSON.parse(answer.body) as typeof body;
    } catch {
      throw new Error(`${where}: ${answer.status} with a body that is not JSON: ${answer.body.slice(0, 500)}`);
    }
    if (typeof body.code !== 'string' || !HVS_CODE.test(body.code) || typeof body.message !== 'string' || typeof body.fix !== 'string') {
      throw new Error(`${where}: ${answer.status} without an HVS code, message and fix: ${answer.body.slice(0, 500)}`);
    }
    code = body.code;
  }
  expectRefusalWroteNothing(written, answer.status === 401, where);
  return code;
}

async function expectHealthy(): Promise<void> {
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  const grpcHealth = await new Promise<number | undefined>((resolve, reject) => {
    ctl.resources.waitForReady(Date.now() + 5_000, (err) => (err ? reject(err) : resolve(0)));
  });
  expect(grpcHealth).toBe(0);
}

/** Raw bytes to the HTTP port; the whole answer once the server closes. */
function rawHttp(bytes: string): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(url.port), url.hostname, () => socket.end(bytes));
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error('no answer')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

describe('REST fuzz: random requests as admin, viewer and anonymous', () => {
  it('the write recorder sees what a request writes (so "wrote nothing" can fail)', async () => {
    await writes.settle();
    await call(ctl.resources, ctl.resources.apply, { documents: documents(NETWORK_YAML), dryRun: false, fieldManager: '', pruneSelector: '' });
    const written = await writes.settle();
    expect(written.map((w) => w.key)).toContain('/hvs/v1/network/lan');
    expect(() => expectRefusalWroteNothing(written, false, 'apply')).toThrow(/wrote 1 etcd key/);
    const anonymousRecord = { key: '/hvs/v1/audit/x', value: JSON.stringify({ spec: { actor: 'anonymous' } }) };
    expect(() => expectRefusalWroteNothing([anonymousRecord], true, 'apply')).toThrow(/unauthenticated/);
    expect(() => expectRefusalWroteNothing([anonymousRecord], false, 'apply')).not.toThrow();
  });

  it('a request node\'s HTTP parser refuses (unknown method, bad request line) gets the coded JSON error', async () => {
    for (const request of ['FOO / HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /api/v1/vms HTTP/1.1\r\nBad Header\r\n\r\n', '\u0000\u0001garbage\r\n\r\n']) {
      const answer = await rawHttp(request);
      const [head, body] = answer.split('\r\n\r\n');
      expect(head!.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(JSON.parse(body!)).toMatchObject({ code: 'HVS-API-HTTP-MALFORMED', category: 'InvalidArgument' });
    }
  });

  it('no 5xx, coded refusals, no leaks, no writes for refused requests; health stays green', async () => {
    const seen = new Map<string, number>();
    const caseArb = fc.record({ caller: fc.constantFrom(...FUZZ_CALLERS), req: restRequestArb });
    const property = fc.asyncProperty(caseArb, async ({ caller, req }) => {
      const sent: RestRequest = { ...req, headers: { ...req.headers, ...(await restCredentials(ctl, caller)) } };
      const where = `${caller} ${describeRequest(sent)}`;
      await writes.settle();
      let answer: RestAnswer;
      try {
        answer = await sendRest(base, sent, REQUEST_TIMEOUT_MS, STREAM_LOOK_MS);
      } catch (e) {
        throw new Error(`${where}: no answer (${(e as Error).message})`);
      }
      const written = await writes.settle();
      const code = check(sent, answer, written, where);
      const key = `${answer.status}${code ? ` ${code}` : ''}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    });
    await runFuzz('REST', property, { numRuns: 5_000, timeLimitMs: 20_000 });
    process.stdout.write(`fuzz REST answers: ${[...seen].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}=${n}`).join(', ')}\n`);
    await expectHealthy();
  });
});
