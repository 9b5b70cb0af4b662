/**
 * HaRescheduler on real etcd with an injected FakeClock for its own timing (informers and
 * store calls are real): HA VMs of a lost node are unbound only at lastHeartbeat + fenceAfter +
 * margin, in priority order, in one transaction with the Node's condition; non-HA VMs stay bound
 * and show Unknown; nothing moves while the node returns in time, before fenceAfter after a new
 * leadership term, or while most other nodes are lost too (this controller may be the one cut off).
 */
import type { Node, VirtualMachine } from '@hvs/domain';
import { FakeClock } from '@hvs/reconcile';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { HaRescheduler, VMS_RESCHEDULED } from '../../src/ha';
import type { Informer } from '../../src/runtime/informer';
import { EtcdStore } from '../../src/store';
import { awaitObject, condition, nodeDoc, startInformer, vmDoc } from '../runtime/fixtures';

jest.setTimeout(40_000);

let etcd: EtcdInstance;
let store: EtcdStore;
let stops: (() => Promise<void> | void)[] = [];
let prefix = 0;

beforeAll(async () => {
  etcd = await startEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
});
afterEach(async () => {
  for (const s of stops.reverse()) await s();
  stops = [];
});
afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function haVm(name: string, node: string, priority?: number): VirtualMachine {
  const v = vmDoc(name, { node });
  return { ...v, spec: { ...v.spec, ha: { restartPolicy: 'Always', ...(priority !== undefined ? { priority } : {}) } } };
}

function lostNode(name: string, sinceMs: number): Node {
  const n = nodeDoc(name);
  return { ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeLeaseExpired', lastTransitionTime: iso(sinceMs) }] } };
}

/** Fresh object names per test (one etcd for the file). */
function names() {
  prefix++;
  return (s: string) => `t${prefix}-${s}`;
}

async function run(clockStart: number): Promise<{ clock: FakeClock; ha: HaRescheduler; vms: Informer<VirtualMachine> }> {
  const clock = new FakeClock(clockStart);
  const nodes = await startInformer<Node>(store, 'Node');
  const vms = await startInformer<VirtualMachine>(store, 'VirtualMachine');
  const ha = new HaRescheduler({ store, nodes, vms, leaseTtlSeconds: 8, clock, timing: { fenceAfterMs: 15_000, marginMs: 5_000 } });
  ha.start();
  stops.push(() => nodes.stop(), () => vms.stop(), () => ha.stop());
  return { clock, ha, vms };
}

const vmOf = (name: string) => store.get<VirtualMachine>('VirtualMachine', name);

describe('HaRescheduler (real etcd, fake clock)', () => {
  it('marks a lost node\'s VMs Unknown at once, unbinds its HA VMs at lastHeartbeat + 15 s + 5 s in priority order, keeps non-HA bound', async () => {
    const n = names();
    for (const node of [n('b'), n('c')]) await store.create(nodeDoc(node));
    await store.create(lostNode(n('a'), T0)); // lease seen expired at T0: last heartbeat <= T0 - 8 s
    for (const vm of [haVm(n('low'), n('a')), haVm(n('high'), n('a'), 10), vmDoc(n('plain'), { node: n('a') }), haVm(n('elsewhere'), n('b'))]) await store.create(vm);
    const { clock } = await run(T0 - 60_000);
    await clock.advance(60_000 + 11_000); // T0 + 11 s: one second before the restart time

    for (const vm of [n('low'), n('high'), n('plain')]) {
      const v = await awaitObject<VirtualMachine, VirtualMachine>(store, 'VirtualMachine', vm, 'phase Unknown', (o) => o.status?.phase === 'Unknown' && o);
      expect(v.status?.node).toBe(n('a'));
      expect(condition(v, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeLost' });
    }
    expect(condition(await vmOf(n('high')), 'Ready')?.message).toContain(`restarted on another node at ${iso(T0 - 8_000 + 20_000)}`);
    expect(condition(await vmOf(n('plain')), 'Ready')?.message).toMatch(/not an HA VM/);
    const before = await store.get<Node>('Node', n('a'));

    await clock.advance(1_000); // T0 + 12 s = (T0 - 8 s) + 15 s + 5 s
    const high = await awaitObject<VirtualMachine, VirtualMachine>(store, 'VirtualMachine', n('high'), 'unbound', (o) => !o.status?.node && o);
    expect(high.status?.phase).toBe('Pending');
    expect(condition(high, 'Rescheduled')).toMatchObject({ status: 'True', reason: 'NodeLost' });
    expect(condition(high, 'Ready')).toMatchObject({ status: 'False', reason: 'NodeLost' });
    expect((await vmOf(n('low'))).status?.node).toBeUndefined();
    // Both in one transaction with the Node's condition: one revision, listed by priority.
    const node = await store.get<Node>('Node', n('a'));
    expect(condition(node, VMS_RESCHEDULED)).toMatchObject({ status: 'True', reason: 'NodeLost', message: `HA VMs restarted elsewhere: ${n('high')}, ${n('low')}` });
    expect(high.metadata.resourceVersion).toBe(node.metadata.resourceVersion);
    expect((await vmOf(n('low'))).metadata.resourceVersion).toBe(node.metadata.resourceVersion);
    // Every Assign built after this carries a fencing token (store revision) above anything before the loss.
    expect(Number(node.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    // The non-HA VM stays bound and Unknown; the HA VM on a healthy node is untouched.
    expect((await vmOf(n('plain'))).status).toMatchObject({ node: n('a'), phase: 'Unknown' });
    expect((await vmOf(n('elsewhere'))).status).toMatchObject({ node: n('b'), phase: 'Scheduled' });
  });

  it('a node that is Ready again before the restart time keeps its HA VMs', async () => {
    const n = names();
    await store.create(nodeDoc(n('b')));
    await store.create(lostNode(n('a'), T0));
    await store.create(haVm(n('web'), n('a')));
    const { clock, ha } = await run(T0 - 60_000);
    await clock.advance(60_000 + 5_000);
    await awaitObject<VirtualMachine, boolean>(store, 'VirtualMachine', n('web'), 'Unknown', (o) => o.status?.phase === 'Unknown');
    const a = await store.get<Node>('Node', n('a'));
    await store.updateStatus({ ...a, status: { ...a.status, conditions: [{ type: 'Ready', status: 'True', reason: 'NodeLeaseRenewed', lastTransitionTime: iso(T0 + 5_000) }] } });
    await awaitObject<Node, boolean>(store, 'Node', n('a'), 'Ready seen', (o) => condition(o, 'Ready')?.status === 'True');
    await clock.advance(60_000);
    expect(await ha.reconcile(n('a'))).toEqual({ kind: 'done' });
    expect((await vmOf(n('web'))).status?.node).toBe(n('a'));
  });

  it('a new leadership term waits fenceAfter + margin from its own start, however old the loss is', async () => {
    const n = names();
    await store.create(nodeDoc(n('b')));
    await store.create(lostNode(n('a'), T0 - 600_000));
    await store.create(haVm(n('web'), n('a')));
    const { clock, ha } = await run(T0);
    expect(ha.restartTime(await store.get<Node>('Node', n('a')))).toBe(T0 + 20_000);
    await clock.advance(19_000);
    await awaitObject<VirtualMachine, boolean>(store, 'VirtualMachine', n('web'), 'Unknown', (o) => o.status?.phase === 'Unknown');
    expect((await vmOf(n('web'))).status?.node).toBe(n('a'));
    await clock.advance(1_000);
    await awaitObject<VirtualMachine, boolean>(store, 'VirtualMachine', n('web'), 'unbound', (o) => !o.status?.node);
  });

  it('restarts nothing while fewer than half of the lost node\'s peers are Ready (the controller may be the one cut off)', async () => {
    const n = names();
    // The other tests' nodes share this etcd: they count as peers too, so all of them are lost.
    for (const old of (await store.list<Node>('Node')).items) {
      await store.updateStatus({ ...old, status: { ...old.status, conditions: lostNode(old.metadata.name, T0).status!.conditions } });
    }
    for (const node of [n('b'), n('c')]) await store.create(lostNode(node, T0));
    await store.create(nodeDoc(n('d'))); // 1 of the lost node's peers is Ready: fewer than half
    await store.create(lostNode(n('a'), T0));
    await store.create(haVm(n('web'), n('a')));
    const { clock, ha } = await run(T0 - 60_000);
    await clock.advance(60_000 + 30_000);
    await awaitObject<VirtualMachine, boolean>(store, 'VirtualMachine', n('web'), 'Unknown', (o) => o.status?.phase === 'Unknown');
    const result = await ha.reconcile(n('a'));
    expect(result).toEqual({ kind: 'requeueAfter', ms: 5_000 });
    expect((await vmOf(n('web'))).status?.node).toBe(n('a'));
  });
});
