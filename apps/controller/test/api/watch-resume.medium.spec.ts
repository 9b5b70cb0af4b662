/**
 * Watch resume at the API: a gRPC Watch (ResourceService and EventService) opened through a
 * whole controller stays open across an etcd restart (the controller resumes its etcd watch
 * server-side from the last delivered revision) and delivers the change written after the
 * restart exactly once: no gap, no duplicate, no ERROR event, the call not ended.
 */
import { type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { v1 } from '@hvs/proto';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { EventRecorder } from '../../src/events';
import { vmYaml } from '../services/manifests';
import { call, documents, seedNetwork, startController, type ControllerUnderTest } from './controller-under-test';

jest.setTimeout(60_000);

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
let events: v1.EventServiceClient;

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
  await seedNetwork(ctl);
  events = new v1.EventServiceClient(ctl.grpc, ctl.creds, ctl.options);
});
afterAll(async () => {
  events?.close();
  await ctl?.close();
  await etcd?.stop();
});

const apply = (yaml: string) => call(ctl.resources, ctl.resources.apply, { documents: documents(yaml), dryRun: false, fieldManager: '', pruneSelector: '' });

/** Every message of a server stream, and how (whether) it ended. */
function record<T>(stream: ClientReadableStream<T>): { got: T[]; ended: () => string | undefined } {
  const got: T[] = [];
  let ended: string | undefined;
  stream.on('data', (m: T) => got.push(m));
  stream.on('error', (e: ServiceError) => (ended = `error ${e.code}: ${e.details}`));
  stream.on('end', () => (ended ??= 'end'));
  return { got, ended: () => ended };
}

describe('API watch across an etcd restart (real controller, real etcd)', () => {
  it('ResourceService.Watch stays open and delivers the MODIFIED written after the restart once', async () => {
    await apply(vmYaml('resume-1'));
    const { resourceVersion } = await call(ctl.resources, ctl.resources.list, { kind: 'vm', labelSelector: '', limit: 0, continueToken: '' });
    const watch = ctl.resources.watch({ kind: 'vm', labelSelector: '', resourceVersion, bookmarkIntervalMs: 0 });
    const w = record(watch);
    try {
      await apply(vmYaml('resume-1', { memory: '1GiB' }));
      await waitFor(() => w.got.length === 1, { what: 'the MODIFIED before the restart' });

      await etcd.restart();
      const after = await apply(vmYaml('resume-1', { memory: '2GiB' }));
      await waitFor(() => w.got.length >= 2, { what: 'the MODIFIED written after the restart', timeoutMs: 30_000 });
      // A marker after it: once it arrives, anything duplicated would have arrived before it.
      await apply(vmYaml('resume-2'));
      await waitFor(() => w.got.length >= 3, { what: 'the marker ADDED', timeoutMs: 30_000 });

      expect(w.got.map((e) => [e.type, e.object?.metadata?.name, e.object?.metadata?.generation])).toEqual([
        [v1.WatchEventType.MODIFIED, 'resume-1', 2],
        [v1.WatchEventType.MODIFIED, 'resume-1', 3],
        [v1.WatchEventType.ADDED, 'resume-2', 1],
      ]);
      expect(w.got[1]!.resourceVersion).toBe(after.resourceVersion);
      expect(new Set(w.got.map((e) => e.resourceVersion)).size).toBe(3);
      expect(w.ended()).toBeUndefined();
    } finally {
      watch.cancel();
    }
  });

  it('EventService.Watch stays open too and delivers the event recorded after the restart once', async () => {
    const recorder = ctl.app.get(EventRecorder);
    const { resourceVersion } = await new Promise<v1.EventListResponse>((resolve, reject) =>
      events.list({ kind: '', name: '', since: '', limit: 1 }, (e, r) => (e ? reject(e) : resolve(r))));
    const watch = events.watch({ kind: 'vm', name: '', resourceVersion });
    const w = record(watch);
    try {
      await recorder.record({ kind: 'VirtualMachine', name: 'resume-1', type: 'Normal', reason: 'Started', message: 'before', source: 'test' });
      await waitFor(() => w.got.length === 1, { what: 'the event before the restart' });
      await etcd.restart();
      await recorder.record({ kind: 'VirtualMachine', name: 'resume-1', type: 'Normal', reason: 'Stopped', message: 'after', source: 'test' });
      await recorder.record({ kind: 'VirtualMachine', name: 'resume-2', type: 'Normal', reason: 'Started', message: 'marker', source: 'test' });
      await waitFor(() => w.got.length >= 3, { what: 'the events after the restart', timeoutMs: 30_000 });
      expect(w.got.map((e) => e.message)).toEqual(['before', 'after', 'marker']);
      expect(recorder.stats.failed).toBe(0);
      expect(w.ended()).toBeUndefined();
    } finally {
      watch.cancel();
    }
  });
});
