/**
 * VM deletion with its host clean-up finalizer, end to end inside the controller: the
 * ResourceService deletes, the dispatcher tells a (fake, real-gRPC) agent, the agent's reports
 * confirm, the deletion loop removes the finalizer and etcd drops the object. Real etcd.
 */
import type { VirtualMachine } from '@hvs/domain';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { AuditService } from '../../src/audit';
import { vmDeletionReconciler } from '../../src/deletion';
import { Dispatcher } from '../../src/dispatch';
import type { EventInput } from '../../src/events/event-record';
import { VM_HOST_CLEANUP } from '../../src/runtime';
import { ResourceService } from '../../src/services';
import { EtcdStore } from '../../src/store';
import { FakeAgent } from '../dispatch/fake-agent';
import { condition, nodeDoc, startDispatcherInformers } from '../runtime/fixtures';
import { NETWORK_YAML, vmYaml } from '../services/manifests';
import { asUser } from '../identity/as-user';

jest.setTimeout(30_000);

const ctx = asUser('erin');
let etcd: EtcdInstance;
let store: EtcdStore;
let agent: FakeAgent;
let service: ResourceService;
let audit: AuditService;
let events: EventInput[];
let stops: (() => Promise<void>)[] = [];
let dispatcher: Dispatcher;

beforeEach(async () => {
  etcd = await startEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
  audit = new AuditService(store);
  service = new ResourceService(store, audit);
  agent = new FakeAgent();
  await agent.listen();
  events = [];
  await store.create(nodeDoc('node-a', { address: agent.address }));
  await store.create(nodeDoc('node-down', { ready: false }));
  await service.apply([{ content: NETWORK_YAML }], {}, ctx);
  const started = await startDispatcherInformers(store);
  const informers = started.informers;
  stops.push(started.stop);
  const late: { dispatcher?: Dispatcher } = {};
  const sink = { record: (e: EventInput) => Promise.resolve(void events.push(e)) };
  const deletion = vmDeletionReconciler({
    store, vms: informers.vms, nodes: informers.nodes, events: sink,
    confirmations: { isConfirmed: (n, u) => late.dispatcher?.cleanup.isConfirmed(n, u) ?? false },
  });
  late.dispatcher = new Dispatcher({ store, informers, controllerId: 'ctl-test', reconnectBaseMs: 50, reconnectMaxMs: 200, onCleanupConfirmed: (vm) => deletion.enqueue(vm) });
  late.dispatcher.start();
  dispatcher = late.dispatcher;
  deletion.start();
  stops.push(() => late.dispatcher!.stop(), () => deletion.stop());
});
afterEach(async () => {
  for (const s of stops.reverse()) await s();
  stops = [];
  await agent?.stop();
  await store?.close();
  await etcd?.stop();
});

/** Applies a VM (as hvctl does) and binds it to `node` (as the scheduler does). */
async function boundVm(name: string, node: string): Promise<VirtualMachine> {
  await service.apply([{ content: vmYaml(name) }], {}, ctx);
  const vm = await store.get<VirtualMachine>('VirtualMachine', name);
  return store.updateStatus({ ...vm, status: { node, phase: 'Scheduled' } });
}

const assigned = (name: string) => agent.assigns.length > 0 && agent.assigns.at(-1)!.vms.some((a) => a.vm!.metadata!.name === name);
const gone = async (name: string) => (await store.getMany([{ kind: 'VirtualMachine', name }]))[0] === undefined;
const deleting = async (name: string, reason: string) => {
  const vm = await store.get<VirtualMachine>('VirtualMachine', name);
  return condition(vm, 'Deleting')?.reason === reason && vm;
};

describe('VM deletion waits for its node to confirm the host clean-up (real etcd, fake agent over gRPC)', () => {
  it('stays terminating while the agent is still removing the VM; the agent\'s cleaned-up report lets it go', async () => {
    const vm = await boundVm('web', 'node-a');
    expect(vm.metadata.finalizers).toEqual([VM_HOST_CLEANUP]);
    await waitFor(() => assigned('web'), { what: 'web assigned to node-a' });
    agent.removing = [vm.metadata.uid!]; // the agent answers: domain and volumes not cleaned up yet

    const res = await service.delete('vm', 'web', {}, ctx);
    expect(res).toMatchObject({ gone: false, warnings: [] });
    expect(res.object.metadata.deletionTimestamp).toBeDefined();
    await waitFor(() => agent.assigns.length > 0 && !assigned('web'), { what: 'an Assign without web' });
    // One reconcile per node at a time: the next Assign goes out only after the answer to this one was handled.
    await boundVm('barrier', 'node-a');
    await waitFor(() => assigned('barrier'), { what: 'the next Assign' });
    expect(dispatcher.cleanup.isConfirmed('node-a', vm.metadata.uid!)).toBe(false);
    expect(await gone('web')).toBe(false);
    const pending = await waitFor(() => deleting('web', 'AwaitingNodeCleanup'), { what: 'Deleting=AwaitingNodeCleanup' });
    expect(condition(pending, 'Deleting')?.message).toContain(`agent on node node-a to confirm domain hvs-${vm.metadata.uid} is undefined`);
    expect(pending.metadata.finalizers).toEqual([VM_HOST_CLEANUP]);

    agent.removed({ uid: vm.metadata.uid!, name: `hvs-${vm.metadata.uid}`, cleanedUp: true });
    await waitFor(() => gone('web'), { what: 'web gone from etcd' });
    expect(events.find((e) => e.reason === 'CleanupConfirmed')?.message).toContain('node node-a confirmed the clean-up');
  });

  it('a removal report without cleaned_up (e.g. a VM that migrated away) confirms nothing', async () => {
    const vm = await boundVm('moved', 'node-a');
    await waitFor(() => assigned('moved'), { what: 'moved assigned' });
    agent.removing = [vm.metadata.uid!];
    await service.delete('vm', 'moved', {}, ctx);
    await waitFor(() => deleting('moved', 'AwaitingNodeCleanup'), { what: 'pending' });
    agent.removed({ uid: vm.metadata.uid!, name: 'moved', cleanedUp: false });
    // The barrier: a later report on the same ordered stream, written to status once handled.
    const other = await boundVm('other', 'node-a');
    agent.observe({ name: 'other', uid: other.metadata.uid!, node: 'node-a', phase: 'Running' });
    await waitFor(async () => (await store.get<VirtualMachine>('VirtualMachine', 'other')).status?.phase === 'Running', { what: 'the barrier report' });
    expect(dispatcher.cleanup.isConfirmed('node-a', vm.metadata.uid!)).toBe(false);
    expect(await gone('moved')).toBe(false);
    agent.removed({ uid: vm.metadata.uid!, name: 'moved', cleanedUp: true });
    await waitFor(() => gone('moved'), { what: 'moved gone after the cleaned-up report' });
  });

  it('an Assign answer that no longer lists the uid as removing confirms at once (nothing left on the host)', async () => {
    await boundVm('quick', 'node-a');
    await waitFor(() => assigned('quick'), { what: 'quick assigned' });
    await service.delete('vm', 'quick', {}, ctx);
    await waitFor(() => gone('quick'), { what: 'quick gone without a VmRemoved' });
  });

  it('a VM never bound to a node goes at once, in the delete call itself', async () => {
    await service.apply([{ content: vmYaml('idle') }], {}, ctx);
    expect((await store.get<VirtualMachine>('VirtualMachine', 'idle')).metadata.finalizers).toEqual([VM_HOST_CLEANUP]);
    const res = await service.delete('vm', 'idle', {}, ctx);
    expect(res.gone).toBe(true);
    expect(await gone('idle')).toBe(true);
  });

  it('says NodeNotReady / NodeGone while nobody can confirm; --force removes it, audited, warning what may be left', async () => {
    const down = await boundVm('stuck', 'node-down');
    await service.delete('vm', 'stuck', {}, ctx);
    expect(condition(await waitFor(() => deleting('stuck', 'NodeNotReady'), { what: 'NodeNotReady' }), 'Deleting')?.message)
      .toContain('hvctl delete vm stuck --force');
    await store.delete('Node', 'node-down');
    await waitFor(() => deleting('stuck', 'NodeGone'), { what: 'NodeGone once the Node object is deleted' });

    const forced = await service.delete('vm', 'stuck', { force: true }, asUser('frank'));
    expect(forced.gone).toBe(true);
    expect(forced.warnings).toHaveLength(1);
    expect(forced.warnings[0]).toContain(`forced past finalizer ${VM_HOST_CLEANUP}: node node-down may still hold domain hvs-${down.metadata.uid}`);
    expect(await gone('stuck')).toBe(true);
    const records = (await audit.list({ name: 'stuck' })).records;
    expect(records.map((r) => [r.operation, r.actor, r.result])).toContainEqual(['force-delete', 'user:frank', 'ok']);
  });
});
