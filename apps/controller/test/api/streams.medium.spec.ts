/**
 * Server streams through a whole controller over real grpc-js, real HTTP and real etcd (every
 * stream is pumped by libs/proto's server-stream.ts):
 * - a client that stops reading does not make the server buffer without bound: the transport
 *   holds at most its high-water mark, the store watch at most WATCH_QUEUE_HIGH_WATER events
 *   plus one etcd response (it stops reading etcd), and nothing is lost once the client reads;
 * - a client that goes away gives its etcd watcher back (etcd's own watcher gauge);
 * - a failure mid-stream reaches the client as a coded error, after the events before it.
 */
import * as http from 'node:http';
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { EtcdBackend } from '../../src/backend/etcd-backend';
import { EVENTS_PREFIX } from '../../src/events';
import { Metrics } from '../../src/observability';
import { kindPrefix } from '../../src/store/objects';
import { WATCH_QUEUE_HIGH_WATER } from '../../src/store/event-queue';
import { vmYaml } from '../services/manifests';
import { call, documents, seedNetwork, startController, type ControllerUnderTest } from './controller-under-test';

jest.setTimeout(120_000);

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
let events: v1.EventServiceClient;
let metrics: Metrics;
/** etcd watchers with no stream open (the controller's own, if any). */
let idleWatchers: number;

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
  await seedNetwork(ctl);
  events = new v1.EventServiceClient(ctl.grpc, ctl.creds);
  metrics = ctl.app.get(Metrics);
  idleWatchers = await etcdWatchers();
});
afterAll(async () => {
  events?.close();
  await ctl?.close();
  await etcd?.stop();
});

const apply = (docs: v1.Document[]) => call(ctl.resources, ctl.resources.apply, { documents: docs, dryRun: false, fieldManager: '', pruneSelector: '' });
const listRevision = async (kind: string) => (await call(ctl.resources, ctl.resources.list, { kind, labelSelector: '', limit: 0, continueToken: '' })).resourceVersion;

/** A VM of about 60 KiB (one annotation): a few of them fill a socket or an HTTP/2 window. */
function bigVm(name: string): v1.Document {
  const [doc] = documents(vmYaml(name, { labels: { app: 'big' } }));
  const obj = JSON.parse(doc!.manifestJson) as { metadata: { annotations?: Record<string, string> } };
  obj.metadata.annotations = { 'hvs.dev/note': 'x'.repeat(60_000) };
  return { ...doc!, manifestJson: JSON.stringify(obj) };
}

/** etcd's own count of open watchers (its /metrics), the controller's and anyone else's. */
async function etcdWatchers(): Promise<number> {
  const text = await (await fetch(`${etcd.endpoint}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('etcd_debugging_mvcc_watcher_total '));
  if (!line) throw new Error('etcd /metrics has no etcd_debugging_mvcc_watcher_total');
  return Number(line.split(' ')[1]);
}

/** An NDJSON watch over node:http whose reading the test controls (pause/resume the response). */
function restWatch(path: string): { res: Promise<http.IncomingMessage>; lines: () => Record<string, unknown>[]; close: () => void } {
  const out: Record<string, unknown>[] = [];
  let buf = '';
  const req = http.get(`${ctl.http}${path}`, { headers: { authorization: `Bearer ${ctl.token}` } });
  req.on('error', () => undefined);
  const res = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', (r) => {
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          out.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
          buf = buf.slice(nl + 1);
        }
      });
      r.on('error', () => undefined);
      resolve(r);
    });
    req.once('error', reject);
  });
  return { res, lines: () => out, close: () => req.destroy() };
}

function record<T>(stream: ClientReadableStream<T>): { got: T[]; error: () => ServiceError | undefined; ended: () => boolean } {
  const got: T[] = [];
  let error: ServiceError | undefined;
  let ended = false;
  stream.on('data', (m: T) => got.push(m));
  stream.on('error', (e: ServiceError) => (error = e));
  stream.on('end', () => (ended = true));
  return { got, error: () => error, ended: () => ended };
}

describe('server streams against real etcd', () => {
  it('a slow gRPC client and a slow REST client leave the server holding a bounded number of events, and lose none', async () => {
    metrics.streams.resetPeaks();
    const from = await listRevision('network');
    const grpcWatch = ctl.resources.watch({ kind: 'vm', labelSelector: 'app=big', resourceVersion: from, bookmarkIntervalMs: 0 });
    const g = record(grpcWatch);
    grpcWatch.pause();
    const rest = restWatch(`/vms?watch=1&labelSelector=app%3Dbig&resourceVersion=${from}`);
    (await rest.res).pause();
    const total = 200;
    const batch = 10; // one apply is one etcd revision: one watch response of `batch` events
    try {
      for (let i = 0; i < total; i += batch) await apply(Array.from({ length: batch }, (_, j) => bigVm(`big-${i + j}`)));
      grpcWatch.resume();
      (await rest.res).resume();
      await waitFor(() => g.got.length >= total, { what: `${total} events on the gRPC watch (got ${g.got.length})`, timeoutMs: 60_000 });
      await waitFor(() => rest.lines().length >= total, { what: `${total} lines on the REST watch (got ${rest.lines().length})`, timeoutMs: 60_000 });
    } finally {
      grpcWatch.cancel();
      rest.close();
    }
    await waitFor(async () => metrics.streams.open === 0 && (await etcdWatchers()) === idleWatchers, { what: 'both streams and their etcd watchers released' });
    expect(g.got.map((e) => e.object?.metadata?.name)).toEqual(Array.from({ length: total }, (_, i) => `big-${i}`));
    expect(rest.lines().map((l) => (l.object as { metadata: { name: string } }).metadata.name)).toEqual(Array.from({ length: total }, (_, i) => `big-${i}`));

    const grpcPeak = metrics.streams.peaks('ResourceService/Watch');
    const restPeak = metrics.streams.peaks('GET /api/v1/:kind?watch=1');
    // The clients did hold the server back (the watch queue filled up)...
    expect(grpcPeak.source).toBeGreaterThanOrEqual(WATCH_QUEUE_HIGH_WATER / 2);
    expect(restPeak.source).toBeGreaterThanOrEqual(WATCH_QUEUE_HIGH_WATER / 2);
    // ...and it held no more than the high-water mark plus one etcd response, not the ~200 written.
    expect(grpcPeak.source).toBeLessThan(WATCH_QUEUE_HIGH_WATER + batch);
    expect(restPeak.source).toBeLessThan(WATCH_QUEUE_HIGH_WATER + batch);
    // The transports: grpc-js's 16 messages; the HTTP response's 16 KiB plus the line that filled it.
    expect(grpcPeak.transport).toBeLessThanOrEqual(16);
    expect(restPeak.transport).toBeLessThan(16 * 1024 + 2 * 62_000);
  });

  it.each([
    ['gRPC ResourceService.Watch', () => { const s = ctl.resources.watch({ kind: 'vm', labelSelector: '', resourceVersion: '', bookmarkIntervalMs: 0 }); s.on('error', () => undefined); return () => s.cancel(); }],
    ['gRPC EventService.Watch', () => { const s = events.watch({ kind: '', name: '', resourceVersion: '' }); s.on('error', () => undefined); return () => s.cancel(); }],
    ['REST /vms?watch=1', () => restWatch('/vms?watch=1').close],
    ['REST /events?watch=1', () => restWatch('/events?watch=1').close],
  ])('a %s client that goes away releases its etcd watcher', async (_name, open) => {
    // Streams of earlier tests are closed first (their release is asynchronous too).
    await waitFor(async () => metrics.streams.open === 0 && (await etcdWatchers()) === idleWatchers, { what: 'no stream open' });
    const watchers = idleWatchers;
    const streams = 0;
    const cancel = open();
    await waitFor(async () => (await etcdWatchers()) === watchers + 1, { what: 'the stream\'s etcd watcher' });
    expect(metrics.streams.open).toBe(streams + 1);
    cancel();
    await waitFor(async () => (await etcdWatchers()) === watchers, { what: 'the etcd watcher given back' });
    await waitFor(() => metrics.streams.open === streams, { what: 'the stream closed on the server' });
  });

  describe('a value that does not decode, mid-stream', () => {
    const etcdClient = () => ctl.app.get(EtcdBackend).connection.client;
    const garbage = `${kindPrefix('VirtualMachine')}zz-broken`;
    afterEach(async () => {
      await etcdClient().delete().key(garbage);
    });

    it('ends a gRPC Watch with an ERROR event carrying the code, after the events before it', async () => {
      const from = await listRevision('network');
      const w = record(ctl.resources.watch({ kind: 'vm', labelSelector: '', resourceVersion: from, bookmarkIntervalMs: 0 }));
      await apply(documents(vmYaml('before-broken')));
      await etcdClient().put(garbage).value('{not json');
      await waitFor(() => w.ended() || w.error(), { what: 'the end of the watch' });
      expect(w.error()).toBeUndefined();
      expect(w.got.map((e) => e.type)).toEqual([v1.WatchEventType.ADDED, v1.WatchEventType.ERROR]);
      expect(w.got[1]!.error).toMatchObject({ code: 'HVS-STORE-VALUE-UNREADABLE', category: 'Internal' });
      expect(w.got[1]!.error!.fix).toContain('etcdctl');
    });

    it('ends a REST watch with an ERROR line carrying the code, after the lines before it', async () => {
      const from = await listRevision('network');
      const rest = restWatch(`/vms?watch=1&resourceVersion=${from}`);
      const res = await rest.res;
      const ended = new Promise<void>((resolve) => res.on('end', resolve));
      await apply(documents(vmYaml('before-broken-2')));
      await etcdClient().put(garbage).value('{not json');
      await ended;
      expect(res.statusCode).toBe(200);
      expect(rest.lines().map((l) => l.type)).toEqual(['ADDED', 'ERROR']);
      expect(rest.lines()[1]!.error).toMatchObject({ code: 'HVS-STORE-VALUE-UNREADABLE', category: 'Internal' });
    });

    it('ends a gRPC EventService.Watch with status INTERNAL and the coded error in the trailer', async () => {
      const bad = `${EVENTS_PREFIX}zz-broken`;
      const watchers = await etcdWatchers();
      const w = record(events.watch({ kind: '', name: '', resourceVersion: '' }));
      await waitFor(async () => (await etcdWatchers()) > watchers, { what: 'the events watch to start' });
      try {
        await etcdClient().put(bad).value('{not json');
        await waitFor(() => w.error(), { what: 'the failed call' });
      } finally {
        await etcdClient().delete().key(bad);
      }
      expect(w.error()!.code).toBe(status.INTERNAL);
      expect(hvsErrorFromServiceError(w.error())).toMatchObject({ code: 'HVS-STORE-VALUE-UNREADABLE' });
    });
  });
});
