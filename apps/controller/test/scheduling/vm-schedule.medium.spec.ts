import { schedule, type Node, type VirtualMachine } from '@hvs/domain';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { Informer } from '../../src/runtime';
import { VmScheduleReconciler } from '../../src/scheduling';
import { EtcdStore, type ObjectStore, type StoredObject, type WriteOp } from '../../src/store';
import { awaitObject, condition, GiB, nodeDoc, startInformer, vmDoc } from '../runtime/fixtures';

// Real etcd per test; every wait below has its own deadline, this is only the outer bound.
jest.setTimeout(30_000);

let etcd: EtcdInstance;
let store: EtcdStore;
let running: { stop(): Promise<void> }[] = [];

beforeEach(async () => {
  etcd = await startEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
});
afterEach(async () => {
  for (const r of running.reverse()) await r.stop();
  running = [];
  await store?.close();
  await etcd?.stop();
});

async function startScheduler(via: ObjectStore = store): Promise<{ scheduler: VmScheduleReconciler; vms: Informer<VirtualMachine> }> {
  const vms = await startInformer<VirtualMachine>(store, 'VirtualMachine');
  const nodes = await startInformer<Node>(store, 'Node');
  running.push(vms, nodes);
  const scheduler = new VmScheduleReconciler({ store: via, vms, nodes });
  scheduler.start();
  running.push(scheduler);
  return { scheduler, vms };
}

const boundTo = (vm: VirtualMachine) => vm.status?.node;

describe('VmScheduleReconciler (real etcd)', () => {
  it('binds a pending VM to the node schedule() picks (spread: the emptier node), with phase Scheduled and Scheduled=True/Bound', async () => {
    const a = await store.create(nodeDoc('node-a', { cpus: 8, memoryBytes: 16 * GiB }));
    const b = await store.create(nodeDoc('node-b', { cpus: 8, memoryBytes: 16 * GiB }));
    const busy = await store.create(vmDoc('busy', { cores: 4, memory: '8GiB', node: 'node-a' }));
    const web = await store.create(vmDoc('web', { cores: 2, memory: '2GiB' }));
    await startScheduler();

    const node = await awaitObject<VirtualMachine, string>(store, 'VirtualMachine', 'web', 'bound', boundTo);
    const expected = schedule(web, [a, b], [{ vm: 'busy', node: 'node-a', cpus: 4, memoryBytes: 8 * GiB, labels: {} }]);
    expect(expected).toMatchObject({ ok: true, node: 'node-b' });
    expect(node).toBe('node-b');
    const vm = await store.get<VirtualMachine>('VirtualMachine', 'web');
    expect(vm.status?.phase).toBe('Scheduled');
    expect(condition(vm, 'Scheduled')).toMatchObject({ status: 'True', reason: 'Bound', message: 'bound to node node-b' });
    expect(condition(vm, 'Scheduled')?.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await store.get<VirtualMachine>('VirtualMachine', 'busy')).metadata.resourceVersion).toBe(busy.metadata.resourceVersion);
  });

  it('binds 24 VMs concurrently onto exactly full nodes without overcommitting any, and the 25th is unschedulable', async () => {
    for (const n of ['n1', 'n2', 'n3']) await store.create(nodeDoc(n, { cpus: 8, memoryBytes: 8 * GiB }));
    const names = Array.from({ length: 24 }, (_, i) => `vm-${i}`);
    await store.applyBatch(names.map((n) => ({ op: 'create' as const, object: vmDoc(n, { cores: 1, memory: '1GiB' }) })));
    await startScheduler();

    const bound = await Promise.all(names.map((n) => awaitObject<VirtualMachine, string>(store, 'VirtualMachine', n, 'bound', boundTo)));
    const perNode = new Map<string, number>();
    for (const n of bound) perNode.set(n, (perNode.get(n) ?? 0) + 1);
    expect(Object.fromEntries(perNode)).toEqual({ n1: 8, n2: 8, n3: 8 });

    await store.create(vmDoc('one-too-many', { memory: '1GiB' }));
    const cond = await awaitObject<VirtualMachine, NonNullable<ReturnType<typeof condition>>>(store, 'VirtualMachine', 'one-too-many', 'Unschedulable',
      (vm) => condition(vm, 'Scheduled')?.reason === 'Unschedulable' && condition(vm, 'Scheduled')!);
    expect(cond.message).toMatch(/^0\/3 nodes can run the VM: n1: .*; n2: .*; n3: /);
  });

  it('records one reason per node on an unschedulable VM, keeps lastTransitionTime while it stays unschedulable, and binds it when a node that fits is added', async () => {
    await store.create(nodeDoc('small-a', { memoryBytes: 4 * GiB }));
    await store.create(nodeDoc('small-b', { memoryBytes: 4 * GiB, cordoned: true }));
    await store.create(vmDoc('big', { memory: '8GiB' }));
    await startScheduler();

    const first = await awaitObject<VirtualMachine, VirtualMachine>(store, 'VirtualMachine', 'big', 'Unschedulable',
      (vm) => condition(vm, 'Scheduled')?.reason === 'Unschedulable' && vm);
    expect(first.status?.phase).toBe('Pending');
    expect(first.status?.node).toBeUndefined();
    expect(condition(first, 'Scheduled')).toMatchObject({ status: 'False' });
    expect(condition(first, 'Scheduled')?.message).toBe('0/2 nodes can run the VM: small-a: 4 GiB free < 8 GiB requested; small-b: cordoned');
    const since = condition(first, 'Scheduled')!.lastTransitionTime;

    // A node change that does not help: the reasons are re-evaluated (3 nodes now), the transition time stays.
    await store.create(nodeDoc('small-c', { memoryBytes: 2 * GiB }));
    const second = await awaitObject<VirtualMachine, VirtualMachine>(store, 'VirtualMachine', 'big', 'three reasons',
      (vm) => condition(vm, 'Scheduled')?.message?.startsWith('0/3') && vm);
    expect(condition(second, 'Scheduled')?.message).toContain('small-c: 2 GiB free < 8 GiB requested');
    expect(condition(second, 'Scheduled')?.lastTransitionTime).toBe(since);

    await store.create(nodeDoc('large', { memoryBytes: 32 * GiB }));
    expect(await awaitObject<VirtualMachine, string>(store, 'VirtualMachine', 'big', 'bound', boundTo)).toBe('large');
    const bound = await store.get<VirtualMachine>('VirtualMachine', 'big');
    expect(condition(bound, 'Scheduled')).toMatchObject({ status: 'True', reason: 'Bound' });
    expect(bound.status?.phase).toBe('Scheduled');
  });

  it('retries an unschedulable VM when a bound VM is deleted and frees capacity', async () => {
    await store.create(nodeDoc('only', { memoryBytes: 4 * GiB }));
    await store.create(vmDoc('hog', { memory: '4GiB', node: 'only' }));
    await store.create(vmDoc('waiter', { memory: '2GiB' }));
    await startScheduler();
    await awaitObject<VirtualMachine, boolean>(store, 'VirtualMachine', 'waiter', 'Unschedulable', (vm) => condition(vm, 'Scheduled')?.reason === 'Unschedulable');
    await store.delete('VirtualMachine', 'hog');
    expect(await awaitObject<VirtualMachine, string>(store, 'VirtualMachine', 'waiter', 'bound', boundTo)).toBe('only');
  });

  it('on a CAS conflict (a concurrent status write between read and bind) re-reads and binds on top of the other write', async () => {
    await store.create(nodeDoc('node-a'));
    await store.create(vmDoc('racy'));
    let conflicts = 0;
    let raced = false;
    // Our own ObjectStore interface, forwarding to real etcd; the first bind of "racy" is
    // preceded by another writer's status update, so the reconciler's resourceVersion is stale.
    const raceOnce = async (names: string[]) => {
      if (raced || !names.includes('racy')) return;
      raced = true;
      const fresh = await store.get<VirtualMachine>('VirtualMachine', 'racy');
      const other = { type: 'BackedUp', status: 'True' as const, reason: 'Test', lastTransitionTime: '2026-01-01T00:00:00.000Z' };
      await store.updateStatus({ ...fresh, status: { ...fresh.status, conditions: [...(fresh.status?.conditions ?? []), other] } });
    };
    const counted = async <R>(write: () => Promise<R>): Promise<R> => {
      try {
        return await write();
      } catch (e) {
        conflicts++;
        throw e;
      }
    };
    const racing: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      async updateStatus<T extends StoredObject>(object: T): Promise<T> {
        await raceOnce([object.metadata.name]);
        return counted(() => store.updateStatus(object));
      },
      async applyBatch(ops: WriteOp[]) {
        await raceOnce(ops.map((o) => (o.op === 'delete' ? o.name : o.object.metadata.name)));
        return counted(() => store.applyBatch(ops));
      },
    });
    await startScheduler(racing);
    await awaitObject<VirtualMachine, string>(store, 'VirtualMachine', 'racy', 'bound', boundTo);
    const vm = await store.get<VirtualMachine>('VirtualMachine', 'racy');
    expect(conflicts).toBe(1);
    expect(condition(vm, 'BackedUp')).toMatchObject({ status: 'True', reason: 'Test' });
    expect(condition(vm, 'Scheduled')).toMatchObject({ status: 'True', reason: 'Bound' });
  });

  it('leaves VMs being deleted and VMs already bound alone', async () => {
    await store.create(nodeDoc('node-a'));
    await store.create({ ...vmDoc('going'), metadata: { name: 'going', finalizers: ['hvs/test'] } });
    await store.delete('VirtualMachine', 'going');
    const before = await store.get<VirtualMachine>('VirtualMachine', 'going');
    await store.create(vmDoc('marker'));
    const { scheduler } = await startScheduler();
    await awaitObject<VirtualMachine, string>(store, 'VirtualMachine', 'marker', 'bound', boundTo);
    expect(await scheduler.reconcile('going')).toEqual({ kind: 'done' });
    const after = await store.get<VirtualMachine>('VirtualMachine', 'going');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.status?.node).toBeUndefined();
  });
});
