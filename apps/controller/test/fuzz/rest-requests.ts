/**
 * The REST side of the fuzz suite's inputs: requests built from the API's routes (and from
 * nothing), with random methods, path segments (bad percent-encoding, dot segments, Unicode),
 * query strings (repeated keys, bracket syntax), content types, encodings and bodies (valid
 * envelopes, raw manifests, hostile text, bad UTF-8, just over 1 MiB). Sent with node:http, not
 * fetch, so the method, path and headers reach the server exactly as generated.
 */
import * as http from 'node:http';
import fc from 'fast-check';
import { anyManifestTextArb, badUtf8Arb, hostileTextArb, KINDS, manifestTextArb, nameArb } from '../../../../test/harness/fuzz-inputs';

export interface RestRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RestAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** We closed a streaming answer after its first bytes. */
  streamed: boolean;
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });

const segmentArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: nameArb.map(encodeURIComponent) },
  { weight: 2, arbitrary: fc.constantFrom(...KINDS) },
  { weight: 1, arbitrary: fc.constantFrom('start', 'stop', 'restart', 'migrate', 'cancel', '..', '.', '%2e%2e', '%00', '%ff', '%', '%zz', '%E0%A4%A', 'a%2Fb', '', '~', '*', ';x=1') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent) },
);

const kindArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KINDS) }, { weight: 1, arbitrary: segmentArb });
const nameSegArb = fc.oneof({ weight: 3, arbitrary: nameArb.map(encodeURIComponent) }, { weight: 1, arbitrary: segmentArb });

/** The API's routes with the method each takes (most cases reach a handler, not the 404). */
const routedArb: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(fc.constant('GET'), fc.oneof(kindArb.map((k) => `/${k}`), fc.tuple(kindArb, nameSegArb).map(([k, n]) => `/${k}/${n}`), fc.constantFrom('/audit', '/events', '/openapi.json'))),
  fc.tuple(fc.constant('POST'), fc.oneof(
    fc.constantFrom('/apply', '/plan'),
    fc.tuple(nameSegArb, fc.constantFrom('start', 'stop', 'restart', 'migrate')).map(([n, a]) => `/vms/${n}/${a}`),
    nameSegArb.map((n) => `/migrations/${n}/cancel`),
  )),
  fc.tuple(fc.constant('DELETE'), fc.oneof(kindArb.map((k) => `/${k}`), fc.tuple(kindArb, nameSegArb).map(([k, n]) => `/${k}/${n}`))),
);

const anyMethodArb = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'FOO');

/** Method and path: a route with its own method (mostly), or any pairing, any path. */
const methodPathArb: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 6, arbitrary: routedArb.map(([m, r]) => [m, `/api/v1${r}`] as [string, string]) },
  { weight: 1, arbitrary: fc.tuple(anyMethodArb, routedArb).map(([m, [, r]]) => [m, `/api/v1${r}`] as [string, string]) },
  { weight: 1, arbitrary: fc.tuple(anyMethodArb, fc.array(segmentArb, { maxLength: 6 })).map(([m, s]) => [m, `/api/v1/${s.join('/')}`] as [string, string]) },
  { weight: 1, arbitrary: fc.tuple(anyMethodArb, fc.constantFrom('/healthz', '/readyz', '/metrics', '/', '//api//v1//vms', '/api/v2/vms', '/api/v1/../../etc/passwd', '/API/V1/VMS', '/apply', `/api/v1/${'a'.repeat(10_000)}`)) },
);

const QUERY_KEYS = ['watch', 'labelSelector', 'dryRun', 'prune', 'fieldManager', 'name', 'force', 'wait', 'waitTimeoutMs', 'ignoreNotFound', 'resourceVersion', 'limit', 'continue', 'since', 'kind', 'actor', 'operation', 'node', 'to', '__proto__', 'constructor'];

const queryArb: fc.Arbitrary<string> = fc.array(fc.tuple(
  fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.constantFrom(...QUERY_KEYS).map((k) => `${k}[]`), fc.constantFrom(...QUERY_KEYS).map((k) => `${k}[a][b]`), printable.map(encodeURIComponent)),
  fc.oneof(fc.constantFrom('1', 'true', '', '0', 'app=web', 'app in (web)', '!', '999999999', '-1', 'NaN', '%', '%zz', '2026-01-01T00:00:00Z', '10').map((v) => encodeURIComponent(v).replace(/%25/g, '%')), fc.string({ maxLength: 20 }).map(encodeURIComponent)),
), { maxLength: 5 }).map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

const CONTENT_TYPES = [
  'application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain', 'text/plain-evil', 'application/json; charset=utf-8',
  'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/merge-patch+json', 'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded', 'application/octet-stream', 'text/html', '*/*', 'application/json, application/yaml',
];

/** `arb` in about one case of `oneIn`, else absent (a header the transport guard refuses must not hide the routes behind it). */
function sometimes<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

const headersArb: fc.Arbitrary<Record<string, string>> = fc.record({
  'content-type': fc.oneof({ weight: 6, arbitrary: fc.constantFrom('application/json', 'application/yaml') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: printable }),
  'content-encoding': sometimes(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-bogus'), 10),
  'x-hvs-file': sometimes(printable, 3),
  accept: sometimes(fc.constantFrom('application/json', 'application/x-ndjson', 'text/html', '*/*'), 3),
  origin: sometimes(fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1'), 10),
  host: sometimes(fc.constantFrom('evil.example', 'localhost', '127.0.0.1:1', '[::1]'), 10),
  'x-hvs-actor': sometimes(printable, 10),
  // Overridden by the caller's real credential (fuzz-credentials.ts); an anonymous caller sends it as is.
  authorization: sometimes(fc.oneof(fc.constantFrom('Bearer', 'Bearer ', 'Bearer x', 'Basic YTpi', 'bearer hvs_0000', 'Bearer a b'), printable), 3),
}).map((h) => Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined)));

const envelopeArb: fc.Arbitrary<unknown> = fc.record({
  documents: fc.oneof(fc.array(fc.record({ content: anyManifestTextArb, file: fc.oneof(printable, fc.constant(undefined)) }, { requiredKeys: ['content'] }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
  dryRun: fc.oneof(fc.boolean(), fc.constant('yes')),
  fieldManager: fc.oneof(printable, fc.integer()),
  prune: fc.oneof(fc.constantFrom('app=web', '!!', ''), fc.integer()),
}, { requiredKeys: ['documents'] });

const bodyArb: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: envelopeArb.map((e) => Buffer.from(JSON.stringify(e))) },
  { weight: 2, arbitrary: manifestTextArb.map((t) => Buffer.from(t)) },
  { weight: 2, arbitrary: hostileTextArb.map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
  { weight: 1, arbitrary: badUtf8Arb },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 50_000 }).map((n) => Buffer.from(`{"documents":${'['.repeat(n)}${']'.repeat(n)}}`)) },
);

/** A random request (before credentials are added). */
export const restRequestArb: fc.Arbitrary<RestRequest> = fc.record({
  target: methodPathArb,
  query: queryArb,
  headers: headersArb,
  body: bodyArb,
}, { requiredKeys: ['target', 'query', 'headers'] }).map(({ target: [method, path], query, headers, body }) => ({ method, path: path + query, headers, ...(body !== undefined ? { body } : {}) }));

/** Sends `req` to `base` (http://host:port); reads a streaming answer only briefly. */
export function sendRest(base: string, req: RestRequest, timeoutMs: number, streamLookMs: number): Promise<RestAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    let answered = false;
    // Framed by content-length: node sends a GET's body unframed otherwise (the server would read it as the next request).
    const headers = req.body === undefined ? req.headers : { ...req.headers, 'content-length': String(req.body.length) };
    const r = http.request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, timeout: timeoutMs, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      const streaming = /ndjson/.test(String(res.headers['content-type'] ?? ''));
      let timer: NodeJS.Timeout | undefined;
      const finish = (streamed: boolean) => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), streamed });
      };
      if (streaming) {
        timer = setTimeout(() => {
          res.destroy();
          finish(true);
        }, streamLookMs);
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(false));
      res.on('error', () => finish(true));
    });
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // After the answer, an error is only the server closing while we still sent (e.g. after a 413).
    r.on('error', (e) => (answered ? undefined : reject(e)));
    r.end(req.body);
  });
}
