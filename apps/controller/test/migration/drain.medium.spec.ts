import type { Node, VirtualMachine } from '@hvs/domain';
import { AuditService } from '../../src/audit';
import { assignedView, DrainService, MigrationReconciler, type DrainUpdate } from '../../src/migration';
import { Informer } from '../../src/runtime';
import { NodeService } from '../../src/services/node.service';
import type { EtcdStore } from '../../src/store';
import { nodeDoc, startInformer, vmDoc } from '../runtime/fixtures';
import { startMigrationEnv, stopMigrationEnv, type MigrationEnv } from './migration-env';
import { asUser } from '../identity/as-user';

jest.setTimeout(60_000);

let env: MigrationEnv;
let store: EtcdStore;
let stops: (() => Promise<void>)[];

/**
 * The agents and the dispatcher's status sync, played from a VM informer: whatever a node is
 * assigned (assignedView), it reports at once: Stopped when told Stopped, Running otherwise.
 */
function simulateAgents(vms: Informer<VirtualMachine>): () => void {
  return vms.subscribe((e) => {
    if (e.type === 'DELETED' || !e.object.status?.node) return;
    const want = assignedView(e.object).spec.runState === 'Stopped' ? 'Stopped' : 'Running';
    if (e.object.status.phase === want) return;
    void store.get<VirtualMachine>('VirtualMachine', e.object.metadata.name)
      .then((vm) => (vm.status?.node === e.object.status?.node ? store.updateStatus({ ...vm, status: { ...vm.status, phase: want } }) : undefined))
      .catch(() => undefined); // a conflict: the next event of this VM tries again
  });
}

beforeAll(async () => {
  env = await startMigrationEnv();
  ({ store, stops } = env);
});
afterAll(() => stopMigrationEnv(env));

describe('DrainService (real etcd, MigrationReconciler, simulated agents)', () => {
  it('streams the plan, cordons, moves every movable VM offline one at a time, lists the passthrough VM as blocked, ends with a summary', async () => {
    for (const n of ['node-a', 'node-b', 'node-c']) await store.create(nodeDoc(n, { memoryBytes: 4 * 1024 ** 3, testDriver: true }));
    const gpu = vmDoc('gpu', { node: 'node-b' });
    gpu.spec.devices = { hostdevs: [{ name: 'gpu0', pciAddress: '0000:01:00.0' }] };
    const stopped = vmDoc('cold', { node: 'node-b' });
    stopped.spec.runState = 'Stopped';
    for (const v of [vmDoc('web-1', { node: 'node-b' }), vmDoc('web-2', { node: 'node-b' }), stopped, gpu, vmDoc('other', { node: 'node-a' })]) {
      await store.create({ ...v, status: { ...v.status, phase: v.spec.runState === 'Stopped' ? 'Stopped' : 'Running' } });
    }
    const vms = await startInformer<VirtualMachine>(store, 'VirtualMachine');
    const nodes = await startInformer<Node>(store, 'Node');
    const reconciler = new MigrationReconciler({ store, vms, nodes, progressEveryMs: 0 });
    await reconciler.start();
    const off = simulateAgents(vms);
    stops.push(() => vms.stop(), () => nodes.stop(), () => reconciler.stop(), async () => off());

    const audit = new AuditService(store);
    const nodeService = new NodeService(store, audit, { ttlSeconds: 8, heartbeat: async () => undefined });
    const drain = new DrainService(store, audit, nodeService, { pollMs: 50 });
    const updates: DrainUpdate[] = [];
    for await (const u of drain.drain({ node: 'node-b', execute: true }, asUser('test'))) updates.push(u);

    const plan = updates[0]!;
    expect(plan.type).toBe('plan');
    const items = plan.type === 'plan' ? plan.plan.items : [];
    expect(items.map((i) => [i.vm, i.action, i.mode])).toEqual(expect.arrayContaining([
      ['web-1', 'migrate', 'offline'], ['web-2', 'migrate', 'offline'], ['cold', 'reassign', 'offline'], ['gpu', 'blocked', undefined],
    ]));
    expect(items.find((i) => i.vm === 'gpu')?.reason).toMatch(/PCI passthrough device gpu0/);
    expect(items.filter((i) => i.target).every((i) => i.target !== 'node-b')).toBe(true);
    expect(updates.at(-1)).toEqual({ type: 'done', moved: 3, failed: 0, blocked: 1, cordoned: true });
    const terminal = updates.filter((u) => u.type === 'vm' && u.phase === 'Succeeded').map((u) => (u.type === 'vm' ? u.vm : ''));
    expect(terminal.sort()).toEqual(['cold', 'web-1', 'web-2']);

    const after = (await store.list<VirtualMachine>('VirtualMachine')).items;
    const where = Object.fromEntries(after.map((v) => [v.metadata.name, [v.status?.node, v.status?.phase]]));
    expect(where['gpu']).toEqual(['node-b', 'Running']);
    expect(where['cold']![1]).toBe('Stopped');
    for (const n of ['web-1', 'web-2', 'cold']) expect(where[n]![0]).not.toBe('node-b');
    expect(where['web-1']![1]).toBe('Running');
    expect((await store.get<Node>('Node', 'node-b')).spec.cordoned).toBe(true);
    // Never more than one move at a time from node-b: no two Migrations' Running windows overlap.
    const ms = (await store.list<{ status?: { startTime?: string; completionTime?: string } } & Parameters<typeof store.create>[0]>('Migration')).items
      .map((m) => [Date.parse(m.status!.startTime!), Date.parse(m.status!.completionTime!)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ms.length; i++) expect(ms[i]![0]).toBeGreaterThanOrEqual(ms[i - 1]![1]);
  });
});
