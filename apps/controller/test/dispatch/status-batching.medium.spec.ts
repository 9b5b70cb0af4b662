/**
 * The dispatcher's observed-status writes share etcd transactions (StatusBatcher) and keep CAS:
 * counted at our own ObjectStore interface (CountingStore over a real EtcdStore), never timed.
 */
import type { FirewallPolicy, Image, Network, Node, StoragePool, VirtualMachine } from '@hvs/domain';
import { agentv1 } from '@hvs/proto';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { Dispatcher } from '../../src/dispatch';
import type { Informer } from '../../src/runtime';
import { EtcdStore } from '../../src/store';
import { condition, nodeDoc, startInformer, vmDoc } from '../runtime/fixtures';
import { CountingStore } from '../store/counting-store';
import { FakeAgent } from './fake-agent';

jest.setTimeout(30_000);

const N = 40;
const names = Array.from({ length: N }, (_, i) => `vm-${String(i).padStart(2, '0')}`);

let etcd: EtcdInstance;
let store: EtcdStore;
let counting: CountingStore;
let agent: FakeAgent;
let vmInformer: Informer<VirtualMachine>;
let stops: (() => Promise<void>)[] = [];
let uids: Map<string, string>;

beforeEach(async () => {
  etcd = await startEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
  counting = new CountingStore(store);
  agent = new FakeAgent();
  await agent.listen();
  await store.create(nodeDoc('node-a', { address: agent.address }));
  const created = await store.applyBatch(names.map((n) => ({ op: 'create' as const, object: vmDoc(n, { node: 'node-a' }) })));
  uids = new Map(created.results.map((r) => [r.name, r.object.metadata.uid!]));
});
afterEach(async () => {
  for (const s of stops.reverse()) await s();
  stops = [];
  await agent?.stop();
  await store?.close();
  await etcd?.stop();
});

/** Starts a dispatcher writing through `counting`; informers read the real store. */
async function startDispatcher(): Promise<Dispatcher> {
  vmInformer = await startInformer<VirtualMachine>(store, 'VirtualMachine');
  const informers = {
    vms: vmInformer,
    nodes: await startInformer<Node>(store, 'Node'),
    networks: await startInformer<Network>(store, 'Network'),
    images: await startInformer<Image>(store, 'Image'),
    storagePools: await startInformer<StoragePool>(store, 'StoragePool'),
    firewallPolicies: await startInformer<FirewallPolicy>(store, 'FirewallPolicy'),
  };
  stops.push(...Object.values(informers).map((i) => () => i.stop()));
  const dispatcher = new Dispatcher({ store: counting, informers, controllerId: 'ctl-test', reconnectBaseMs: 50, reconnectMaxMs: 200 });
  dispatcher.start();
  stops.push(() => dispatcher.stop());
  return dispatcher;
}

const running = (name: string, ips: string[] = []) =>
  agentv1.VmObserved.fromPartial({ name, uid: uids.get(name)!, node: 'node-a', phase: 'Running', observedGeneration: 1, ips });

async function awaitAll(what: string, check: (vm: VirtualMachine) => boolean): Promise<VirtualMachine[]> {
  return waitFor(async () => {
    const vms = await store.getMany<VirtualMachine>(names.map((name) => ({ kind: 'VirtualMachine', name })));
    return vms.every((vm) => vm !== undefined && check(vm)) && (vms as VirtualMachine[]);
  }, { what: `all ${N} VMs ${what}`, timeoutMs: 15_000, intervalMs: 25 });
}

describe('Dispatcher observed-status writes (real etcd, grpc-js fake agent)', () => {
  it(`writes ${N} reports of one Snapshot in a few shared transactions, not one each`, async () => {
    agent.reported = names.map((n) => running(n));
    const dispatcher = await startDispatcher();
    await awaitAll('Running', (vm) => vm.status?.phase === 'Running' && condition(vm, 'Ready')?.status === 'True');
    // The first write goes alone (nothing queued yet), the other 39 share the next transaction.
    expect(counting.counts.writes).toBeLessThanOrEqual(3);
    expect(Math.max(...counting.batchSizes)).toBeGreaterThanOrEqual(N / 2);
    expect(dispatcher.statusWriter.stats).toMatchObject({ writes: N, fallbacks: 0 });
  });

  it('a VM another writer changed meanwhile conflicts alone and is written again on top; the others commit in the shared batch', async () => {
    const racy = 'vm-07';
    let raced = false;
    counting.beforeBatch = async (ops) => {
      if (raced || ops.length < 2 || !ops.some((o) => o.op !== 'delete' && o.object.metadata.name === racy)) return;
      raced = true;
      const fresh = await store.get<VirtualMachine>('VirtualMachine', racy);
      const other = { type: 'BackedUp', status: 'True' as const, reason: 'Test', lastTransitionTime: '2026-01-01T00:00:00.000Z' };
      await store.updateStatus({ ...fresh, status: { ...fresh.status, conditions: [...(fresh.status?.conditions ?? []), other] } });
    };
    agent.reported = names.map((n) => running(n));
    const dispatcher = await startDispatcher();
    const vms = await awaitAll('Running', (vm) => vm.status?.phase === 'Running');
    expect(raced).toBe(true);
    const vm = vms.find((v) => v.metadata.name === racy)!;
    expect(condition(vm, 'BackedUp')).toMatchObject({ status: 'True', reason: 'Test' });
    expect(condition(vm, 'Ready')).toMatchObject({ status: 'True', reason: 'Running' });
    // The failed batch was split (not retried write by write), and only the racy VM was re-read.
    expect(dispatcher.statusWriter.stats.fallbacks).toBeGreaterThanOrEqual(1);
    expect(counting.counts.writes).toBeLessThan(N / 2);
    expect(counting.counts.get).toBe(1);
  });

  it('decides a second report on the version it wrote itself while the informer lags (no conflict, no re-read)', async () => {
    agent.reported = names.map((n) => running(n));
    await startDispatcher();
    await awaitAll('Running', (vm) => vm.status?.phase === 'Running');
    await waitFor(() => names.every((n) => vmInformer.get(n)?.status?.phase === 'Running'), { what: 'informer caught up' });
    await vmInformer.stop(); // from now on the cache lags every write
    for (const n of names) agent.observe(running(n, ['10.0.0.1']));
    await awaitAll('with IPs', (vm) => vm.status?.ips?.[0] === '10.0.0.1');
    for (const n of names) agent.observe(running(n, ['10.0.0.2']));
    await awaitAll('with new IPs', (vm) => vm.status?.ips?.[0] === '10.0.0.2');
    // Deciding on the informer's stale copy would conflict for every VM and re-read each one.
    expect(counting.counts.get).toBe(0);
  });
});
