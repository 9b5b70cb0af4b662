import type { Migration, Node, StoragePool, VirtualMachine } from '@hvs/domain';
import { waitFor } from '../../../../test/harness';
import { AuditService } from '../../src/audit';
import { HvsError } from '@hvs/domain';
import { insecureDialer } from '../../src/agents/agent-connection';
import { agentDirtyRateProbe, assignedView, MigrationReconciler, MigrationService, OFFLINE_STOP_ANNOTATION } from '../../src/migration';
import { Informer, VM_HOST_CLEANUP } from '../../src/runtime';
import type { EtcdStore } from '../../src/store';
import { awaitObject, nodeDoc, startInformer, vmDoc } from '../runtime/fixtures';
import type { FakeMigrateAgent } from './fake-migrate-agent';
import { startMigrationEnv, stopMigrationEnv, type MigrationEnv } from './migration-env';
import { asUser } from '../identity/as-user';

// Real etcd and real gRPC on loopback; every wait has its own deadline.
jest.setTimeout(30_000);

let env: MigrationEnv;
let store: EtcdStore;
let agent: FakeMigrateAgent;
let stops: (() => Promise<void>)[];
const ctx = asUser('test');

async function startReconciler(opts: { perHost?: number; perCluster?: number } = {}): Promise<MigrationReconciler> {
  const vms = await startInformer<VirtualMachine>(store, 'VirtualMachine');
  const nodes = await startInformer<Node>(store, 'Node');
  const pools = await startInformer<StoragePool>(store, 'StoragePool');
  const r = new MigrationReconciler({ store, vms: vms as Informer<VirtualMachine>, nodes, storagePools: pools, limits: opts, progressEveryMs: 0, offlineStepTimeoutMs: 60_000 });
  await r.start();
  stops.push(() => vms.stop(), () => nodes.stop(), () => pools.stop(), () => r.stop());
  return r;
}

const phase = (p: string) => (m: Migration) => m.status?.phase === p && m;

/** What the dispatcher's status sync does with an agent's report: a CAS write, re-read on conflict. */
async function reportPhase(name: string, p: 'Stopped' | 'Running'): Promise<void> {
  await waitFor(async () => {
    const vm = await store.get<VirtualMachine>('VirtualMachine', name);
    return store.updateStatus({ ...vm, status: { ...vm.status, phase: p } }).then(() => true, () => false);
  }, { what: `${name} reported ${p}` });
}

beforeEach(async () => {
  env = await startMigrationEnv();
  ({ store, agent, stops } = env);
});
afterEach(() => stopMigrationEnv(env));

describe('MigrateVm + MigrationReconciler, live (real etcd, fake agent over gRPC)', () => {
  beforeEach(async () => {
    await store.create(nodeDoc('node-a', { address: agent.address }));
    await store.create(nodeDoc('node-b', { address: '10.0.0.2:7002' }));
    await store.create(nodeDoc('node-c', { address: '10.0.0.3:7003', cordoned: true }));
    await store.create(vmDoc('web', { node: 'node-a', memory: '2GiB' }));
  });

  it('dry run: the estimate with its assumptions and the chosen target, nothing written', async () => {
    const svc = new MigrationService(store, new AuditService(store));
    const r = await svc.migrateVm({ vm: 'web', dryRun: true }, ctx);
    expect(r).toMatchObject({ sourceNode: 'node-a', targetNode: 'node-b', mode: 'live' });
    expect(r.migration).toBeUndefined();
    expect(r.estimate.memoryBytes).toBe(2 * 1024 ** 3);
    expect(r.estimate.downtimeMs).toBeGreaterThan(0);
    expect(r.estimate.notes.join('\n')).toMatch(/bandwidth assumed.*: no hvs.dev\/migration-bandwidth annotation on node-a or node-b;.*\n.*dirty rate assumed: no agent connection/s);
    expect((await store.list('Migration')).items).toEqual([]);
    await expect(svc.migrateVm({ vm: 'web', targetNode: 'node-c', dryRun: true }, ctx)).rejects.toMatchObject({ code: 'HVS-MIGRATION-NO-TARGET', why: expect.stringMatching(/node-c: cordoned/) });
    // A bandwidth limit below the (assumed 1 Gbit/s) link is the rate the estimate uses, and says so; one above it changes nothing.
    const capped = await svc.migrateVm({ vm: 'web', dryRun: true, bandwidthLimit: 25e6 }, ctx);
    expect(capped.estimate.bandwidthBps).toBe(25e6);
    expect(capped.estimate.durationMs).toBeGreaterThan(r.estimate.durationMs);
    expect(capped.estimate.notes.join('\n')).toMatch(/bandwidth limited to 25.0 MB\/s for this migration/);
    expect(capped.estimate.notes.join('\n')).not.toMatch(/bandwidth assumed/);
    const above = await svc.migrateVm({ vm: 'web', dryRun: true, bandwidthLimit: 10e9 }, ctx);
    expect(above.estimate.bandwidthBps).toBe(r.estimate.bandwidthBps);
    expect(above.estimate.notes.join('\n')).toMatch(/bandwidth limit 10000 MB\/s is above the assumed link/);
    await expect(svc.migrateVm({ vm: 'web', targetNode: 'node-a', dryRun: true }, ctx)).rejects.toMatchObject({ code: 'HVS-MIGRATION-NO-TARGET' });
  });

  describe('estimate inputs: the dirty rate measured on the source agent, the link from the nodes\' annotations', () => {
    const svc = (deadlineMs = 2_000) => new MigrationService(store, new AuditService(store), undefined, agentDirtyRateProbe(insecureDialer, { deadlineMs }));

    it('a measured rate and the smaller annotated bandwidth are used and said; nothing assumed', async () => {
      agent.dirtyRate = 64 * 1024 * 1024;
      const a = await store.get<Node>('Node', 'node-a');
      await store.update({ ...a, metadata: { ...a.metadata, annotations: { 'hvs.dev/migration-bandwidth': '10Gbit' } } });
      const b = await store.get<Node>('Node', 'node-b');
      await store.update({ ...b, metadata: { ...b.metadata, annotations: { 'hvs.dev/migration-bandwidth': '1250MB' } } });
      const r = await svc().migrateVm({ vm: 'web', dryRun: true }, ctx);
      expect(agent.dirtyRateRequests).toEqual([expect.objectContaining({ vmName: 'web', seconds: 1 })]);
      expect(r.estimate).toMatchObject({ dirtyRateBps: 64 * 1024 * 1024, bandwidthBps: 1.25e9 });
      expect(r.estimate.notes.join('\n')).toMatch(/dirty rate measured on node-a: 64.0 MiB\/s over 1 s \(page-sampling\)/);
      expect(r.estimate.notes.join('\n')).not.toMatch(/assumed/);
      // A busier guest on the same link takes longer than an idle one.
      agent.dirtyRate = 0;
      expect((await svc().migrateVm({ vm: 'web', dryRun: true }, ctx)).estimate.durationMs).toBeLessThan(r.estimate.durationMs);
    });

    it('unsupported on the source (test driver), a hung agent, or a malformed annotation: assumed, with the reason', async () => {
      const r = await svc().migrateVm({ vm: 'web', dryRun: true }, ctx);
      expect(r.estimate.notes.join('\n')).toMatch(/dirty rate assumed: sampling on node-a failed: HVS-LIBVIRT-UNSUPPORTED: dirty-rate sampling is unsupported/);
      agent.dirtyRate = 'hang';
      const hung = await svc(300).migrateVm({ vm: 'web', dryRun: true }, ctx);
      expect(hung.estimate.notes.join('\n')).toMatch(/dirty rate assumed: sampling on node-a failed: HVS-[A-Z-]+/);
      agent.dirtyRate = new HvsError({ code: 'HVS-AGENT-VM-NOT-FOUND', category: 'NotFound', message: 'VM web is not assigned to node node-a', fix: 'x' });
      const a = await store.get<Node>('Node', 'node-a');
      await store.update({ ...a, metadata: { ...a.metadata, annotations: { 'hvs.dev/migration-bandwidth': 'fast' } } });
      const bad = await svc().migrateVm({ vm: 'web', dryRun: true }, ctx);
      expect(bad.estimate.notes.join('\n')).toMatch(/node node-a: "fast" is not a bandwidth/);
      expect(bad.estimate.notes.join('\n')).toMatch(/link bandwidth assumed/);
      expect(bad.estimate.notes.join('\n')).toMatch(/HVS-AGENT-VM-NOT-FOUND/);
    });
  });

  it('Succeeded: the VM flips to the target in the same transaction, downtime recorded, progress seen, the agent got the fencing token', async () => {
    await startReconciler();
    const { migration } = await new MigrationService(store, new AuditService(store)).migrateVm({ vm: 'web', maxDowntimeMs: 100, bandwidthLimit: 50e6 }, ctx);
    expect(migration!.spec.bandwidthLimit).toBe(50e6);
    const done = await awaitObject(store, 'Migration', migration!.metadata.name, 'Succeeded', phase('Succeeded'));
    expect(done.status).toMatchObject({ sourceNode: 'node-a', targetNode: 'node-b', mode: 'live', downtimeMs: 42, progress: { bytesTotal: 1000, bytesDone: 1000, bytesRemaining: 0 } });
    expect(done.status?.durationMs).toBeGreaterThanOrEqual(0);
    const vm = await store.get<VirtualMachine>('VirtualMachine', 'web');
    expect(vm.status?.node).toBe('node-b');
    expect(vm.status?.migration).toBeUndefined();
    expect(vm.metadata.resourceVersion).toBe(done.metadata.resourceVersion);
    const req = agent.requests[0]!;
    expect(req).toMatchObject({ vmName: 'web', targetUri: 'qemu+tcp://10.0.0.2/system', maxDowntimeMs: 100, autoConverge: true, copyStorage: false, bandwidthBytesPerSecond: 50e6 });
    expect(req.fencingToken).toBeGreaterThan(0);
  });

  it('Failed: reason with the agent\'s text, why and fix; the VM stays on the source and can migrate again', async () => {
    agent.outcome = { phase: 'Failed', code: 'HVS-LIBVIRT-MIGRATE-UNREACHABLE', message: 'unable to connect to server at node-b:16509', why: 'Connection refused', fix: 'open 16509' };
    await startReconciler();
    const svc = new MigrationService(store, new AuditService(store));
    const { migration } = await svc.migrateVm({ vm: 'web' }, ctx);
    const failed = await awaitObject(store, 'Migration', migration!.metadata.name, 'Failed', phase('Failed'));
    expect(failed.status?.reason).toBe('MigrationFailed');
    expect(failed.status?.message).toMatch(/HVS-LIBVIRT-MIGRATE-UNREACHABLE: unable to connect.*Connection refused; fix: open 16509 \(the VM keeps running on node-a\)/);
    const vm = await store.get<VirtualMachine>('VirtualMachine', 'web');
    expect(vm.status).toMatchObject({ node: 'node-a' });
    expect(vm.status?.migration).toBeUndefined();
    await expect(svc.migrateVm({ vm: 'web', dryRun: true }, ctx)).resolves.toMatchObject({ targetNode: 'node-b' });
  });

  it('a second migration of the same VM is refused while one runs', async () => {
    agent.hold = true;
    await startReconciler();
    const svc = new MigrationService(store, new AuditService(store));
    const { migration } = await svc.migrateVm({ vm: 'web' }, ctx);
    await waitFor(() => agent.open === 1, { what: 'the Migrate call open' });
    await expect(svc.migrateVm({ vm: 'web' }, ctx)).rejects.toMatchObject({ code: 'HVS-MIGRATION-IN-PROGRESS', category: 'Conflict' });
    const running = await awaitObject(store, 'Migration', migration!.metadata.name, 'Running with progress', (m: Migration) => m.status?.progress?.bytesDone === 500 && m);
    expect(running.status?.progress).toEqual({ bytesTotal: 1000, bytesDone: 500, bytesRemaining: 500, dirtyRate: 10, iteration: 1 });
    agent.release();
    await awaitObject(store, 'Migration', migration!.metadata.name, 'Succeeded', phase('Succeeded'));
  });

  it('limits: one outbound migration per host; the next starts when the first ends', async () => {
    await store.create(vmDoc('db', { node: 'node-a' }));
    agent.hold = true;
    await startReconciler({ perHost: 1, perCluster: 2 });
    const svc = new MigrationService(store, new AuditService(store), (() => { let t = Date.now(); return () => new Date(t++); })());
    const m1 = (await svc.migrateVm({ vm: 'web' }, ctx)).migration!.metadata.name;
    const m2 = (await svc.migrateVm({ vm: 'db' }, ctx)).migration!.metadata.name;
    await waitFor(() => agent.open === 1, { what: 'one Migrate call open' });
    const second = await store.get<Migration>('Migration', m2);
    const first = await store.get<Migration>('Migration', m1);
    expect([first.status?.phase, second.status?.phase].sort()).toEqual(['Pending', 'Running']);
    expect(agent.requests).toHaveLength(1);
    agent.release();
    await awaitObject(store, 'Migration', m1, 'Succeeded', phase('Succeeded'));
    await awaitObject(store, 'Migration', m2, 'Succeeded', phase('Succeeded'));
    expect(agent.requests).toHaveLength(2);
  });
});

describe('cancel (hvctl migrate --cancel): real etcd, the source agent faked over gRPC', () => {
  beforeEach(async () => {
    await store.create(nodeDoc('node-a', { address: agent.address }));
    await store.create(nodeDoc('node-b', { address: '10.0.0.2:7002' }));
    await store.create(vmDoc('web', { node: 'node-a', memory: '2GiB' }));
  });

  it('live, mid-copy: the source agent is told AbortMigration with a fencing token; Failed/Cancelled, the VM stays on the source, the target reservation ends; audited', async () => {
    agent.hold = true;
    await startReconciler();
    const audit = new AuditService(store);
    const svc = new MigrationService(store, audit);
    const name = (await svc.migrateVm({ vm: 'web' }, ctx)).migration!.metadata.name;
    await awaitObject(store, 'Migration', name, 'Running with progress', (m: Migration) => m.status?.progress?.bytesDone === 500 && m);
    const asked = await svc.cancel({ vm: 'web' }, ctx);
    expect(asked.spec.cancel).toBe(true);
    const ended = await awaitObject(store, 'Migration', name, 'Failed', phase('Failed'));
    expect(ended.status).toMatchObject({ reason: 'Cancelled', message: expect.stringMatching(/cancelled on request: libvirt aborted the job; the VM keeps running on node-a/) });
    expect(agent.abortRequests).toEqual([expect.objectContaining({ migration: name, vmUid: expect.any(String) })]);
    expect(agent.abortRequests[0]!.fencingToken).toBeGreaterThan(0);
    const vm = await store.get<VirtualMachine>('VirtualMachine', 'web');
    expect(vm.status?.node).toBe('node-a');
    expect(vm.status?.migration).toBeUndefined();
    expect((await audit.list({ operation: 'cancel' })).records).toEqual([expect.objectContaining({ kind: 'Migration', name, actor: 'user:test', result: 'ok' })]);
    // Ended: a second cancel is refused and changes nothing; the VM can move again.
    await expect(svc.cancel({ migration: name }, ctx)).rejects.toMatchObject({ code: 'HVS-MIGRATION-ENDED', category: 'FailedPrecondition' });
    await expect(svc.cancel({ vm: 'web' }, ctx)).rejects.toMatchObject({ code: 'HVS-MIGRATION-NONE', fix: expect.stringMatching(/hvs.dev\/vm=web/) });
    await expect(svc.migrateVm({ vm: 'web', dryRun: true }, ctx)).resolves.toMatchObject({ targetNode: 'node-b' });
  });

  it('a VM deleted mid-copy aborts its live migration like a cancel: Failed/Cancelled, still on the source', async () => {
    const vm = await store.get<VirtualMachine>('VirtualMachine', 'web');
    await store.update({ ...vm, metadata: { ...vm.metadata, finalizers: [VM_HOST_CLEANUP] } });
    agent.hold = true;
    await startReconciler();
    const name = (await new MigrationService(store, new AuditService(store)).migrateVm({ vm: 'web' }, ctx)).migration!.metadata.name;
    await awaitObject(store, 'Migration', name, 'Running with progress', (m: Migration) => m.status?.progress?.bytesDone === 500 && m);
    expect(agent.abortRequests).toEqual([]);
    expect((await store.delete('VirtualMachine', 'web')).deleted).toBe(false);
    const ended = await awaitObject(store, 'Migration', name, 'Failed', phase('Failed'));
    expect(ended.status).toMatchObject({ reason: 'Cancelled' });
    expect(agent.abortRequests).toEqual([expect.objectContaining({ migration: name })]);
    expect((await store.get<VirtualMachine>('VirtualMachine', 'web')).status?.node).toBe('node-a');
  });

  it('a cancel that loses races to status writes (progress lands about once a second) re-reads and still lands; refusals are not audited', async () => {
    agent.hold = true;
    await startReconciler();
    const audit = new AuditService(store);
    const name = (await new MigrationService(store, audit).migrateVm({ vm: 'web' }, ctx)).migration!.metadata.name;
    // The held agent's one progress sample is written: no other writer until the cancel.
    await awaitObject(store, 'Migration', name, 'Running with progress', (m: Migration) => m.status?.progress?.bytesDone === 500 && m);
    // The real store, except that right after the cancel reads the Migration, a status write lands (twice).
    let races = 2;
    const racing = new Proxy(store, {
      get(target, prop) {
        if (prop === 'get') {
          return async (kind: string, n: string) => {
            const o = await target.get<Migration>(kind, n);
            if (kind === 'Migration' && races > 0) {
              races--;
              await target.updateStatus({ ...o, status: { ...o.status, reason: `Copying-${races}` } });
            }
            return o;
          };
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const asked = await new MigrationService(racing, audit).cancel({ migration: name }, ctx);
    expect(races).toBe(0);
    expect(asked.spec.cancel).toBe(true);
    await awaitObject(store, 'Migration', name, 'Failed/Cancelled', (m: Migration) => m.status?.reason === 'Cancelled' && m);
    await expect(new MigrationService(store, audit).cancel({ migration: name }, ctx)).rejects.toMatchObject({ code: 'HVS-MIGRATION-ENDED' });
    expect((await audit.list({ operation: 'cancel' })).records.map((r) => r.result)).toEqual(['ok']);
  });

  it('an agent that cannot abort yet (unreachable, libvirt refusing) is asked again until it answers', async () => {
    agent.hold = true;
    agent.abortError = new HvsError({ code: 'HVS-LIBVIRT-FAILED', category: 'Unavailable', message: 'libvirt busy', why: 'test', fix: 'retry' });
    await startReconciler();
    const svc = new MigrationService(store, new AuditService(store));
    const name = (await svc.migrateVm({ vm: 'web' }, ctx)).migration!.metadata.name;
    await waitFor(() => agent.open === 1, { what: 'the Migrate call open' });
    await svc.cancel({ migration: name }, ctx);
    await waitFor(() => agent.abortRequests.length >= 1, { what: 'a first AbortMigration' });
    expect((await store.get<Migration>('Migration', name)).status?.phase).toBe('Running');
    agent.abortError = undefined;
    await awaitObject(store, 'Migration', name, 'Failed/Cancelled', (m: Migration) => m.status?.reason === 'Cancelled' && m);
    expect(agent.abortRequests.length).toBeGreaterThanOrEqual(2);
  });

  it('Pending (waiting for a slot): never starts; nothing is sent to the agent', async () => {
    await store.create(vmDoc('db', { node: 'node-a' }));
    agent.hold = true;
    await startReconciler({ perHost: 1, perCluster: 2 });
    const svc = new MigrationService(store, new AuditService(store), (() => { let t = Date.now(); return () => new Date(t++); })());
    const first = (await svc.migrateVm({ vm: 'web' }, ctx)).migration!.metadata.name;
    const waiting = (await svc.migrateVm({ vm: 'db' }, ctx)).migration!.metadata.name;
    await waitFor(() => agent.open === 1, { what: 'the first Migrate call open' });
    expect((await store.get<Migration>('Migration', waiting)).status?.phase).toBe('Pending');
    await svc.cancel({ vm: 'db' }, ctx);
    const ended = await awaitObject(store, 'Migration', waiting, 'Failed', phase('Failed'));
    expect(ended.status).toMatchObject({ reason: 'Cancelled', message: expect.stringMatching(/before it started/) });
    agent.release();
    await awaitObject(store, 'Migration', first, 'Succeeded', phase('Succeeded'));
    expect(agent.requests.map((r) => r.vmName)).toEqual(['web']);
    expect(agent.abortRequests).toEqual([]);
  });
});

describe('offline moves (test-driver nodes)', () => {
  it('stop on the source (its assignment says Stopped), flip to the target, Running there: Succeeded with downtime; the hold is removed', async () => {
    await store.create(nodeDoc('node-a', { testDriver: true }));
    await store.create(nodeDoc('node-b', { testDriver: true }));
    await store.create(vmDoc('app', { node: 'node-a' }));
    await startReconciler();
    const svc = new MigrationService(store, new AuditService(store));
    await expect(svc.migrateVm({ vm: 'app', mode: 'live', dryRun: true }, ctx)).rejects.toMatchObject({ code: 'HVS-MIGRATION-MODE-UNSUPPORTED', fix: expect.stringMatching(/--mode offline/) });
    const res = await svc.migrateVm({ vm: 'app' }, ctx);
    expect(res.mode).toBe('offline');
    const name = res.migration!.metadata.name;
    // The agent side, played by the test: node-a is told Stopped and reports it.
    const held = await awaitObject(store, 'VirtualMachine', 'app', 'hold annotation', (v: VirtualMachine) => (v.metadata.annotations?.[OFFLINE_STOP_ANNOTATION] ? v : undefined));
    expect(assignedView(held).spec.runState).toBe('Stopped');
    expect((await store.get<Migration>('Migration', name)).status).toMatchObject({ phase: 'Running', step: 'Stopping' });
    await reportPhase('app', 'Stopped');
    const moved = await awaitObject(store, 'VirtualMachine', 'app', 'bound to node-b', (v: VirtualMachine) => v.status?.node === 'node-b' && v);
    // On node-b the VM is assigned as the user wants it (Running), never before node-a reported Stopped.
    expect(assignedView(moved).spec.runState).toBe('Running');
    expect((await store.get<Migration>('Migration', name)).status?.step).toBe('Starting');
    await reportPhase('app', 'Running');
    const done = await awaitObject(store, 'Migration', name, 'Succeeded', phase('Succeeded')).catch(async (e: Error) => { throw new Error(`${e.message}: ${JSON.stringify((await store.get('Migration', name)).status)} vm ${JSON.stringify(await store.get('VirtualMachine', 'app'))}`); });
    expect(done.status?.downtimeMs).toBeGreaterThanOrEqual(0);
    const vm = await store.get<VirtualMachine>('VirtualMachine', 'app');
    expect(vm.metadata.annotations?.[OFFLINE_STOP_ANNOTATION]).toBeUndefined();
    expect(vm.status?.migration).toBeUndefined();
    expect(vm.spec.runState).toBe('Running');
  });

  it('cancel while Stopping lifts the hold (the VM runs on the source again); once bound to the target it is refused', async () => {
    await store.create(nodeDoc('node-a', { testDriver: true }));
    await store.create(nodeDoc('node-b', { testDriver: true }));
    await store.create(vmDoc('app', { node: 'node-a' }));
    await store.create(vmDoc('app2', { node: 'node-a' }));
    await startReconciler({ perHost: 2 });
    const svc = new MigrationService(store, new AuditService(store), (() => { let t = Date.now(); return () => new Date(t++); })());
    const stopping = (await svc.migrateVm({ vm: 'app' }, ctx)).migration!.metadata.name;
    await awaitObject(store, 'VirtualMachine', 'app', 'hold annotation', (v: VirtualMachine) => (v.metadata.annotations?.[OFFLINE_STOP_ANNOTATION] ? v : undefined));
    await svc.cancel({ vm: 'app' }, ctx);
    const ended = await awaitObject(store, 'Migration', stopping, 'Failed', phase('Failed'));
    expect(ended.status).toMatchObject({ reason: 'Cancelled', message: expect.stringMatching(/cancelled while stopping on node-a/) });
    const app = await store.get<VirtualMachine>('VirtualMachine', 'app');
    expect(app.metadata.annotations?.[OFFLINE_STOP_ANNOTATION]).toBeUndefined();
    expect(assignedView(app).spec.runState).toBe('Running');
    expect(app.status?.node).toBe('node-a');

    const moving = (await svc.migrateVm({ vm: 'app2' }, ctx)).migration!.metadata.name;
    await awaitObject(store, 'VirtualMachine', 'app2', 'hold annotation', (v: VirtualMachine) => (v.metadata.annotations?.[OFFLINE_STOP_ANNOTATION] ? v : undefined));
    await reportPhase('app2', 'Stopped');
    await awaitObject(store, 'VirtualMachine', 'app2', 'bound to node-b', (v: VirtualMachine) => v.status?.node === 'node-b' && v);
    await expect(svc.cancel({ migration: moving }, ctx)).rejects.toMatchObject({ code: 'HVS-MIGRATION-NOT-CANCELLABLE', fix: expect.stringMatching(/migrate the VM back/) });
    expect((await store.get<Migration>('Migration', moving)).spec.cancel).toBeUndefined();
  });

  it('a VM with a PCI passthrough device is refused with the reason; nothing written', async () => {
    await store.create(nodeDoc('node-a', { testDriver: true }));
    await store.create(nodeDoc('node-b', { testDriver: true }));
    const gpu = vmDoc('gpu', { node: 'node-a' });
    gpu.spec.devices = { hostdevs: [{ name: 'gpu0', pciAddress: '0000:01:00.0' }] };
    await store.create(gpu);
    await expect(new MigrationService(store, new AuditService(store)).migrateVm({ vm: 'gpu' }, ctx)).rejects.toMatchObject({
      code: 'HVS-MIGRATION-PASSTHROUGH', message: 'VM gpu cannot be migrated', why: expect.stringMatching(/gpu0 \(0000:01:00.0\)/),
    });
    expect((await store.list('Migration')).items).toEqual([]);
  });
});
