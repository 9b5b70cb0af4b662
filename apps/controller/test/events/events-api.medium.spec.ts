/**
 * The events API end to end: a whole controller (createApp) on a real etcd, events recorded
 * through the app's own EventRecorder, read back through hvs.v1.EventService (generated
 * grpc-js client: List, Watch) and GET /api/v1/events (list, ndjson watch, errors).
 */
import * as path from 'node:path';
import { loadPackageDefinition, Metadata, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { EventRecorder, type EventInput } from '../../src/events';
import { startController, type ControllerUnderTest } from '../api/controller-under-test';

jest.setTimeout(30_000);

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
let events: v1.EventServiceClient;
let recorder: EventRecorder;

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
  events = new v1.EventServiceClient(ctl.grpc, ctl.creds, ctl.options);
  recorder = ctl.app.get(EventRecorder);
});
afterAll(async () => {
  events?.close();
  await ctl?.close();
  await etcd?.stop();
});

const started = (name: string): EventInput => ({ kind: 'VirtualMachine', name, uid: `uid-${name}`, type: 'Normal', reason: 'Started', message: 'domain started', source: 'agent/host-a', node: 'host-a' });

function list(req: Partial<v1.EventListRequest>): Promise<v1.EventListResponse> {
  return new Promise((resolve, reject) => {
    events.list({ kind: '', name: '', since: '', limit: 0, ...req }, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (e, r) => (e ? reject(e) : resolve(r)));
  });
}

/** Collects a server stream's messages; `ended` settles with the status error (or undefined on a clean end). */
function collect<T>(stream: ClientReadableStream<T>): { got: T[]; ended: Promise<ServiceError | undefined> } {
  const got: T[] = [];
  stream.on('data', (m: T) => got.push(m));
  const ended = new Promise<ServiceError | undefined>((resolve) => {
    stream.on('error', (e: ServiceError) => resolve(e));
    stream.on('end', () => resolve(undefined));
  });
  return { got, ended };
}

describe('hvs.v1.EventService and /api/v1/events (real controller, real etcd)', () => {
  it('List over gRPC: newest last, filtered by kind (short name) and name, with count and firstTime', async () => {
    await recorder.record(started('web-1'));
    await recorder.record(started('web-2'));
    await recorder.record({ kind: 'Node', name: 'host-a', type: 'Warning', reason: 'NodeNotReady', message: 'Ready=Unknown: lease expired', source: 'controller/node-lifecycle', node: 'host-a' });
    const all = await list({});
    expect(all.events.map((e) => `${e.kind}/${e.name}/${e.reason}`)).toEqual(['VirtualMachine/web-1/Started', 'VirtualMachine/web-2/Started', 'Node/host-a/NodeNotReady']);
    expect(Number(all.resourceVersion)).toBeGreaterThan(0);
    const one = await list({ kind: 'vm', name: 'web-2' });
    expect(one.events).toEqual([expect.objectContaining({
      kind: 'VirtualMachine', name: 'web-2', uid: 'uid-web-2', type: 'Normal', reason: 'Started', message: 'domain started',
      source: 'agent/host-a', node: 'host-a', count: 1, firstTime: one.events[0]!.time,
    })]);
    expect((await list({ limit: 1 })).events.map((e) => e.name)).toEqual(['host-a']);
  });

  it('List refuses an unknown kind with INVALID_ARGUMENT and the HvsError in the trailer', async () => {
    const e = await list({ kind: 'vmz' }).then(() => undefined, (err: ServiceError) => err);
    expect(e?.code).toBe(status.INVALID_ARGUMENT);
    expect(hvsErrorFromServiceError(e!).code).toBe('HVS-KIND-UNKNOWN');
  });

  it('Watch from a List revision streams the next events of that object only, and a bad revision fails the call', async () => {
    const { resourceVersion } = await list({});
    const call = events.watch({ kind: 'VirtualMachine', name: 'web-3', resourceVersion });
    const { got } = collect(call);
    await recorder.record(started('web-4'));
    await recorder.record(started('web-3'));
    await recorder.record({ ...started('web-3'), type: 'Warning', reason: 'Crashed', message: 'qemu exited' });
    await waitFor(() => got.length >= 2, { what: 'two watched events' });
    expect(got.map((e) => [e.name, e.reason])).toEqual([['web-3', 'Started'], ['web-3', 'Crashed']]);
    call.cancel();

    const bad = collect(events.watch({ kind: '', name: '', resourceVersion: 'x1' }));
    const err = await bad.ended;
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(hvsErrorFromServiceError(err!).code).toBe('HVS-API-RESOURCE-VERSION-INVALID');
    expect(bad.got).toEqual([]);
  });

  it('GET /api/v1/events lists with the same filters; watch=1 streams ndjson; a bad kind is a 400 with the error body', async () => {
    const res = await ctl.fetch(`${ctl.http}/events?kind=vms&name=web-1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { events: { name: string; reason: string; count: number; id: string }[]; resourceVersion: string };
    expect(body.events.map((e) => [e.name, e.reason, e.count])).toEqual([['web-1', 'Started', 1]]);
    expect(body.events[0]!.id).toMatch(/^\d{15}-/);

    const abort = new AbortController();
    const watch = await ctl.fetch(`${ctl.http}/events?watch=1&kind=vm&resourceVersion=${body.resourceVersion}`, { signal: abort.signal });
    expect(watch.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const reader = watch.body!.getReader();
    await recorder.record(started('web-5'));
    let text = '';
    await waitFor(async () => {
      const { value } = await reader.read();
      text += Buffer.from(value ?? new Uint8Array()).toString();
      return text.includes('\n');
    }, { what: 'an ndjson line' });
    expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({ kind: 'VirtualMachine', name: 'web-5', reason: 'Started' });
    abort.abort();

    const bad = await ctl.fetch(`${ctl.http}/events?kind=vmz`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'HVS-KIND-UNKNOWN' });
  });

  it('health reports hvs.v1.EventService SERVING', async () => {
    const proto = path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
    const def = loadPackageDefinition(loadSync(proto, { includeDirs: [path.dirname(proto)], keepCase: true, enums: String }));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const health = new (def.grpc as any).health.v1.Health(ctl.grpc, ctl.creds, ctl.options);
    try {
      const r = await new Promise<{ status: string }>((resolve, reject) =>
        health.Check({ service: 'hvs.v1.EventService' }, { deadline: new Date(Date.now() + 10_000) }, (e: ServiceError | null, res: { status: string }) => (e ? reject(e) : resolve(res))));
      expect(r.status).toBe('SERVING');
    } finally {
      health.close();
    }
  });
});
