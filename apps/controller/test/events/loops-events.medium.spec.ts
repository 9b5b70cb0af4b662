/**
 * What the control loops record, through a real EventRecorder into a real etcd and read back
 * with EventService: the scheduler's FailedScheduling (with the per-node reasons) and Bound,
 * the node-lifecycle's NodeNotReady / NodeReady on lease expiry and renewal, and the
 * dispatcher's copy of an agent's VmEvents (a grpc-js fake agent behind our own interface).
 */
import type { Node, VirtualMachine } from '@hvs/domain';
import { agentv1 } from '@hvs/proto';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { Dispatcher } from '../../src/dispatch';
import { EVENTS_PREFIX, EventRecorder, type StoredEvent } from '../../src/events';
import { EventService } from '../../src/services';
import { NodeLeases } from '../../src/leases';
import { NodeLifecycleReconciler } from '../../src/node-lifecycle';
import { VmScheduleReconciler } from '../../src/scheduling';
import { EtcdConnection, EtcdStore, prefixEnd } from '../../src/store';
import { FakeAgent } from '../dispatch/fake-agent';
import { awaitObject, nodeDoc, startDispatcherInformers, startInformer, vmDoc } from '../runtime/fixtures';
import { asUser } from '../identity/as-user';
import type { EventFilter } from '../../src/services/event.service';

const listEvents = (f: EventFilter = {}, limit?: number) => service.list(f, limit, asUser());


jest.setTimeout(30_000);

let etcd: EtcdInstance;
let conn: EtcdConnection;
let store: EtcdStore;
let recorder: EventRecorder;
let service: EventService;
const stops: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  conn = new EtcdConnection({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
  store = new EtcdStore({ endpoints: [etcd.endpoint], connection: conn });
  service = new EventService(conn);
});
beforeEach(() => {
  recorder = new EventRecorder({ connection: conn, onError: (e) => console.error('event not recorded', e) });
});
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  await recorder.flush();
  const all = Buffer.from('/hvs/v1/');
  await conn.client.kv.deleteRange({ key: all, range_end: prefixEnd(all) });
});
afterAll(async () => {
  await store?.close();
  conn?.close();
  await etcd?.stop();
});

async function eventsOf(kind: string, name: string, count: number): Promise<StoredEvent[]> {
  return waitFor(async () => {
    await recorder.flush();
    const { events } = await listEvents({ kind, name });
    return events.length >= count && events;
  }, { what: `${count} events of ${kind}/${name}` });
}

describe('events recorded by the control loops (real etcd)', () => {
  it('scheduler: Warning FailedScheduling with every node\'s reason (its own write\'s echo is not an attempt, a retry folds), then Normal Bound naming the node', async () => {
    await store.create(nodeDoc('host-a', { cpus: 4, memoryBytes: 8 * 1024 ** 3 }));
    await store.create(vmDoc('big', { memory: '64GiB' }));
    const vms = await startInformer<VirtualMachine>(store, 'VirtualMachine');
    const nodes = await startInformer<Node>(store, 'Node');
    const attempts = new Map<string, number>();
    const scheduler = new VmScheduleReconciler({
      store, vms, nodes, events: recorder, hooks: { onResult: (key) => attempts.set(key, (attempts.get(key) ?? 0) + 1) },
    });
    stops.push(() => vms.stop(), () => nodes.stop(), () => scheduler.stop());
    scheduler.start();

    const [failed] = await eventsOf('VirtualMachine', 'big', 1);
    expect(failed).toMatchObject({ type: 'Warning', reason: 'FailedScheduling', source: 'controller/scheduler', count: 1 });
    expect(failed!.message).toMatch(/^0\/1 node can run the VM: host-a: .*64 GiB/);
    expect(failed!.uid).toBe((await store.get('VirtualMachine', 'big')).metadata.uid);
    // The re-queue caused by its own status write is not another attempt: still one occurrence.
    await waitFor(() => (attempts.get('big') ?? 0) >= 2, { what: 'the echo reconcile of big' });
    await recorder.flush();
    expect((await listEvents({ kind: 'vm', name: 'big' })).events.map((e) => e.count)).toEqual([1]);
    // A real retry (a Node changed) with the same outcome is folded into the same record.
    const node = await store.get<Node>('Node', 'host-a');
    await store.update({ ...node, metadata: { ...node.metadata, labels: { zone: 'z1' } } });
    await waitFor(() => (attempts.get('big') ?? 0) >= 3, { what: 'the retry of big after the node change' });
    await recorder.flush();
    expect((await listEvents({ kind: 'vm', name: 'big' })).events.map((e) => [e.reason, e.count, e.id])).toEqual([['FailedScheduling', 2, failed!.id]]);

    await store.create(vmDoc('small'));
    await awaitObject<VirtualMachine, string>(store, 'VirtualMachine', 'small', 'bound', (vm) => vm.status?.node);
    const [bound] = await eventsOf('VirtualMachine', 'small', 1);
    expect(bound).toMatchObject({ type: 'Normal', reason: 'Bound', message: 'bound to node host-a', node: 'host-a', count: 1 });
  });

  it('node lifecycle: NodeNotReady when the heartbeat lease expires, NodeReady when the agent heartbeats again', async () => {
    const leases = new NodeLeases({ connection: conn, ttlSeconds: 2 });
    await leases.heartbeat('host-b');
    await store.create(nodeDoc('host-b'));
    const nodes = await startInformer<Node>(store, 'Node');
    const lifecycle = new NodeLifecycleReconciler({ store, nodes, leases, events: recorder });
    stops.push(() => nodes.stop(), () => lifecycle.stop());
    await lifecycle.start();

    const [notReady] = await eventsOf('Node', 'host-b', 1);
    expect(notReady).toMatchObject({ type: 'Warning', reason: 'NodeNotReady', source: 'controller/node-lifecycle', node: 'host-b' });
    expect(notReady!.message).toMatch(/^Ready=Unknown: no heartbeat from the node agent since .*its 2 s lease expired/);

    await leases.heartbeat('host-b');
    const both = await eventsOf('Node', 'host-b', 2);
    expect(both.map((e) => [e.type, e.reason])).toEqual([['Warning', 'NodeNotReady'], ['Normal', 'NodeReady']]);
    expect(both[1]!.message).toBe('Ready: the node agent renews its heartbeat lease');
  });

  it('dispatcher: the agent\'s VmEvents become events of the VM (source agent/<node>, libvirt\'s text kept, own reason kept)', async () => {
    const agent = new FakeAgent();
    stops.push(() => agent.stop());
    await agent.listen();
    await store.create(nodeDoc('host-c', { address: agent.address }));
    await store.create(vmDoc('web', { node: 'host-c' }));
    const started = await startDispatcherInformers(store);
    const informers = started.informers;
    stops.push(started.stop);
    const dispatcher = new Dispatcher({ store, informers, controllerId: 'ctl-test', events: recorder });
    stops.push(() => dispatcher.stop());
    dispatcher.start();
    await waitFor(() => agent.openStreams === 1, { what: 'the Watch stream' });

    const libvirt = "internal error: process exited while connecting to monitor: qemu-system-x86_64: -drive file=/nope.qcow2: Could not open '/nope.qcow2': No such file or directory";
    agent.vmEvent({ name: 'web', uid: 'u-web', type: agentv1.VmEventType.RECONCILE_ERROR, reason: 'ReconcileError', message: libvirt, time: '2030-01-01T12:00:00Z' });
    agent.vmEvent({ name: 'web', uid: 'u-web', type: agentv1.VmEventType.STARTED, reason: 'Started', message: 'domain started', time: '2030-01-01T12:00:01Z' });
    agent.vmEvent({ name: 'web', uid: 'u-web', type: agentv1.VmEventType.CRASHED, reason: '', message: 'qemu exited with signal 9', time: '2030-01-01T12:00:02Z' });
    agent.vmEvent({ name: 'web', uid: 'u-web', type: agentv1.VmEventType.STOPPED, reason: 'Stopped', message: 'domain shut down', time: '2030-01-01T12:00:03Z' });
    const got = await eventsOf('VirtualMachine', 'web', 4);
    expect(got.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Warning', 'ReconcileError', libvirt],
      ['Normal', 'Started', 'domain started'],
      ['Warning', 'Crashed', 'qemu exited with signal 9'],
      ['Normal', 'Stopped', 'domain shut down'],
    ]);
    expect(got.every((e) => e.source === 'agent/host-c' && e.node === 'host-c' && e.uid === 'u-web')).toBe(true);
    expect(got[0]!.time).toBe('2030-01-01T12:00:00.000Z');
    const raw = await conn.client.kv.range({ key: Buffer.from(EVENTS_PREFIX), range_end: prefixEnd(Buffer.from(EVENTS_PREFIX)) });
    expect(raw.kvs.every((kv) => kv.lease !== '0')).toBe(true);
  });
});
