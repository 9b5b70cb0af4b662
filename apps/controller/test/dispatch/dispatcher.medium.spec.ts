import type { FirewallPolicy, Image, Network, Node, StoragePool, VirtualMachine } from '@hvs/domain';
import { fromProtoObject } from '@hvs/proto';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { Dispatcher } from '../../src/dispatch';
import { EtcdStore, type StoredObject } from '../../src/store';
import { awaitObject, condition, nodeDoc, startDispatcherInformers, vmDoc } from '../runtime/fixtures';
import { FakeAgent } from './fake-agent';

// Real etcd and real gRPC on loopback; every wait has its own deadline.
jest.setTimeout(30_000);

let etcd: EtcdInstance;
let store: EtcdStore;
let agent: FakeAgent;
let dispatcher: Dispatcher;
let stops: (() => Promise<void>)[] = [];

const lan: Network = { apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'lan' }, spec: { mode: 'nat' } };

beforeEach(async () => {
  etcd = await startEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
  agent = new FakeAgent();
  await agent.listen();
  await store.create(lan);
  await store.create(nodeDoc('node-a', { address: agent.address }));
  await store.create(nodeDoc('node-b')); // Ready but no address: never dialled
  await store.create(vmDoc('web', { node: 'node-a', networks: ['lan'] }));
  await store.create(vmDoc('db', { node: 'node-a' }));
  await store.create(vmDoc('elsewhere', { node: 'node-b' }));
  const started = await startDispatcherInformers(store);
  const informers = started.informers;
  stops.push(started.stop);
  dispatcher = new Dispatcher({ store, informers, controllerId: 'ctl-test', reconnectBaseMs: 50, reconnectMaxMs: 200 });
  dispatcher.start();
  stops.push(() => dispatcher.stop());
});
afterEach(async () => {
  for (const s of stops.reverse()) await s();
  stops = [];
  await agent?.stop();
  await store?.close();
  await etcd?.stop();
});

const vmNames = (i: number) => agent.assigns[i]!.vms.map((a) => a.vm!.metadata!.name);
const phaseOf = (phase: string) => (vm: VirtualMachine) => vm.status?.phase === phase && vm;
const uidOf = async (name: string) => (await store.get<VirtualMachine>('VirtualMachine', name)).metadata.uid!;

describe('Dispatcher (real etcd, grpc-js fake agent)', () => {
  it('opens one Watch to each dispatchable node and sends its full desired set; VMs the Snapshot lacks become Starting', async () => {
    await waitFor(() => agent.assigns.length >= 1, { what: 'first Assign' });
    const a = agent.assigns[0]!;
    expect(a.node).toBe('node-a');
    expect(vmNames(0)).toEqual(['db', 'web']);
    expect(a.networks.map((n) => n.metadata!.name)).toEqual(['lan']);
    expect(a.generation).toBeGreaterThan(0);
    expect(a.fencingToken).toBeGreaterThan(0);
    const sent: StoredObject = fromProtoObject(a.vms[1]!.vm!);
    expect(sent.status).toBeUndefined();
    expect(sent.metadata.resourceVersion).toBeUndefined();
    expect(sent.metadata.uid).toBe(await uidOf('web'));
    expect(dispatcher.connectedNodes()).toEqual(['node-a']);

    for (const name of ['web', 'db']) {
      const vm = await awaitObject(store, 'VirtualMachine', name, 'Starting', phaseOf('Starting'));
      expect(condition(vm, 'Ready')).toMatchObject({ status: 'False', reason: 'AwaitingAgent' });
      expect(vm.status?.node).toBe('node-a');
    }
    expect((await store.get<VirtualMachine>('VirtualMachine', 'elsewhere')).status?.phase).toBe('Scheduled');
  });

  it('writes VmObserved into status (phase, ips, interfaces, observedGeneration, Ready) and does not rewrite status for a repeated report', async () => {
    await waitFor(() => agent.openStreams === 1 && agent.assigns.length >= 1, { what: 'Watch open and assigned' });
    const uid = await uidOf('web');
    const interfaces = [{ name: 'eth0', mac: '52:54:00:ab:cd:ef', network: 'lan', ipv4: '10.0.0.5', ipv6: [], source: 'lease', dnsName: 'web.lan' }];
    agent.observe({ name: 'web', uid, node: 'node-a', phase: 'Running', ips: ['10.0.0.5'], observedGeneration: 1, interfaces });
    const running = await awaitObject(store, 'VirtualMachine', 'web', 'Running', phaseOf('Running'));
    expect(running.status).toMatchObject({ node: 'node-a', ips: ['10.0.0.5'], observedGeneration: 1 });
    expect(running.status?.interfaces).toStrictEqual([{ name: 'eth0', mac: '52:54:00:ab:cd:ef', network: 'lan', ipv4: '10.0.0.5', source: 'lease', dnsName: 'web.lan' }]);
    expect(condition(running, 'Ready')).toMatchObject({ status: 'True', reason: 'Running' });
    expect(condition(running, 'Scheduled')).toBeUndefined(); // not the dispatcher's to set

    agent.observe({ name: 'web', uid, node: 'node-a', phase: 'Running', ips: ['10.0.0.5'], observedGeneration: 1, interfaces });
    // A later report of another VM on the same ordered stream is the barrier for the repeated one.
    agent.observe({ name: 'db', uid: await uidOf('db'), node: 'node-a', phase: 'Failed', reason: 'LibvirtError', message: 'emulator not found',
      error: { code: 'HVS-AGENT-LIBVIRT', path: '', message: 'emulator not found', why: '', fix: 'install qemu-system-x86' } });
    const failed = await awaitObject(store, 'VirtualMachine', 'db', 'Failed', phaseOf('Failed'));
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'LibvirtError', message: 'emulator not found; fix: install qemu-system-x86' });
    expect((await store.get<VirtualMachine>('VirtualMachine', 'web')).metadata.resourceVersion).toBe(running.metadata.resourceVersion);
  });

  it('re-sends the whole set with a larger generation when a VM is bound to the node, but not on status-only changes', async () => {
    await waitFor(() => agent.assigns.length >= 1, { what: 'first Assign' });
    await awaitObject(store, 'VirtualMachine', 'web', 'Starting', phaseOf('Starting'));
    const first = agent.assigns.at(-1)!;
    await store.create(vmDoc('cache', { node: 'node-a' }));
    await waitFor(() => agent.assigns.length >= 2, { what: 'second Assign' });
    const second = agent.assigns.at(-1)!;
    expect(second.vms.map((a) => a.vm!.metadata!.name)).toEqual(['cache', 'db', 'web']);
    expect(second.generation).toBeGreaterThan(first.generation);
    expect(second.fencingToken).toBeGreaterThanOrEqual(first.fencingToken);

    // Status-only writes (the agent's reports) change no assignment: no re-send.
    const count = agent.assigns.length;
    agent.observe({ name: 'cache', uid: await uidOf('cache'), node: 'node-a', phase: 'Running' });
    await awaitObject(store, 'VirtualMachine', 'cache', 'Running', phaseOf('Running'));
    await store.create(vmDoc('barrier', { node: 'node-b' })); // an event the dispatcher handles after the status write
    await waitFor(async () => (await store.get<VirtualMachine>('VirtualMachine', 'barrier')).metadata.uid, { what: 'barrier' });
    await dispatcher.reconcileNode('node-a');
    expect(agent.assigns.length).toBe(count);
  });

  it('re-opens a broken Watch stream (never two at once) and re-sends the same assignment on reconnect', async () => {
    await waitFor(() => agent.assigns.length >= 1 && agent.openStreams === 1, { what: 'first Assign' });
    const before = agent.assigns.at(-1)!;
    agent.dropStreams();
    await waitFor(() => agent.assigns.length >= 2, { what: 'Assign after reconnect' });
    const after = agent.assigns.at(-1)!;
    expect(agent.watchCalls).toBe(2);
    expect(agent.maxOpenStreams).toBe(1);
    expect(after.generation).toBe(before.generation);
    expect(after.vms.map((a) => a.vm!.metadata!.name)).toEqual(before.vms.map((a) => a.vm!.metadata!.name));
  });

  it('drops the connection when the node stops being Ready', async () => {
    await waitFor(() => agent.openStreams === 1, { what: 'Watch open' });
    const node = await store.get<Node>('Node', 'node-a');
    await store.updateStatus({ ...node, status: { ...node.status, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeLeaseExpired' }] } });
    await waitFor(() => agent.openStreams === 0 && dispatcher.connectedNodes().length === 0, { what: 'connection closed' });
  });

  it('a FirewallPolicy (even one selecting a VM here), an Image, a StoragePool or a Network no VM here uses never re-sends the node\'s Assign', async () => {
    const idle = () => dispatcher.assigner.queue.len() === 0 && dispatcher.assigner.queue.inFlight() === 0;
    await waitFor(() => agent.assigns.length >= 1 && idle(), { what: 'first Assign sent and the assigner idle' });
    const sent = agent.assigns.length;
    await store.create({ apiVersion: 'hvs/v1', kind: 'FirewallPolicy', metadata: { name: 'web-in', labels: {} }, spec: { selector: {}, rules: [] } } as unknown as FirewallPolicy);
    await store.create({ apiVersion: 'hvs/v1', kind: 'Image', metadata: { name: 'debian' }, spec: { source: 'https://example.invalid/d.qcow2', sha256: 'a'.repeat(64), format: 'qcow2' } } as unknown as Image);
    await store.create({ apiVersion: 'hvs/v1', kind: 'StoragePool', metadata: { name: 'fast' }, spec: { type: 'dir', path: '/srv/fast' } } as unknown as StoragePool);
    const unused = await store.create({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'unused' }, spec: { mode: 'isolated' } } as unknown as Network);
    // The Network event queues every node; wait until the dispatcher has seen it and is idle again.
    await waitFor(() => dispatcher.revisionSeen() >= Number(unused.metadata.resourceVersion) && idle(), { what: 'the unused Network seen and the assigner idle' });
    expect(agent.assigns.length).toBe(sent);

    // Control: a Network that a VM here uses does re-send (so the loop above was live).
    const lanNow = await store.get<Network>('Network', 'lan');
    await store.update({ ...lanNow, spec: { mode: 'isolated' } } as unknown as Network);
    await waitFor(() => agent.assigns.length === sent + 1, { what: 'Assign re-sent for the used Network' });
    expect(agent.assigns[sent]!.networks.map((n) => (fromProtoObject(n) as Network).spec.mode)).toEqual(['isolated']);
    expect(agent.assigns[sent]!.firewallPolicies).toEqual([]);
    expect(agent.assigns[sent]!.images).toEqual([]);
    expect(agent.assigns[sent]!.storagePools).toEqual([]);
  });
});
