/**
 * Target capacity reservation (real etcd, real gRPC to a fake agent behind our own Agent
 * interface): while a Migration is Pending/Running its VM counts on the source AND the target,
 * so the scheduler does not place a new VM into capacity the landing migration needs; a second
 * migration or a drain plan sees the first one's reservation; it ends when the migration does.
 */
import type { Migration, Node, StoragePool, VirtualMachine } from '@hvs/domain';
import { waitFor } from '../../../../test/harness';
import { AuditService } from '../../src/audit';
import { DrainService, MigrationReconciler, MigrationService } from '../../src/migration';
import { Informer } from '../../src/runtime';
import { VmScheduleReconciler } from '../../src/scheduling';
import type { EtcdStore } from '../../src/store';
import { awaitObject, condition, GiB, nodeDoc, startInformer, vmDoc } from '../runtime/fixtures';
import type { FakeMigrateAgent } from './fake-migrate-agent';
import { startMigrationEnv, stopMigrationEnv, type MigrationEnv } from './migration-env';
import { asUser } from '../identity/as-user';

jest.setTimeout(60_000);

let env: MigrationEnv;
let store: EtcdStore;
let agent: FakeMigrateAgent;
let stops: (() => Promise<void>)[];
const ctx = asUser('test');

beforeEach(async () => {
  env = await startMigrationEnv();
  ({ store, agent, stops } = env);
});
afterEach(() => stopMigrationEnv(env));

/** The leader's loops as control-loops.ts wires them: one Migration informer shared by the scheduler and the migration reconciler. */
async function startLoops(): Promise<{ scheduler: VmScheduleReconciler }> {
  const vms = await startInformer<VirtualMachine>(store, 'VirtualMachine');
  const nodes = await startInformer<Node>(store, 'Node');
  const pools = await startInformer<StoragePool>(store, 'StoragePool');
  const migrations = await startInformer<Migration>(store, 'Migration');
  stops.push(() => vms.stop(), () => nodes.stop(), () => pools.stop(), () => migrations.stop());
  const migration = new MigrationReconciler({ store, vms: vms as Informer<VirtualMachine>, nodes, migrations, storagePools: pools, progressEveryMs: 0 });
  await migration.start();
  const scheduler = new VmScheduleReconciler({ store, vms, nodes, migrations });
  scheduler.start();
  stops.push(() => migration.stop(), () => scheduler.stop());
  return { scheduler };
}

const unschedulable = (v: VirtualMachine) => condition(v, 'Scheduled')?.reason === 'Unschedulable' && v;

/**
 * node-a and node-b hold 4 GiB each; web (3 GiB) runs on node-a and moves to node-b: a tight
 * fit that must not be refused by its own reservation. `late` (2 GiB) would fit only on node-b
 * (node-a has 1 GiB free) if the reservation did not count.
 */
async function moveWebAndAddLate(): Promise<{ migration: string; scheduler: VmScheduleReconciler }> {
  await store.create(nodeDoc('node-a', { memoryBytes: 4 * GiB, address: agent.address }));
  await store.create(nodeDoc('node-b', { memoryBytes: 4 * GiB, address: '10.0.0.2:7002' }));
  await store.create(vmDoc('web', { node: 'node-a', memory: '3GiB' }));
  agent.hold = true;
  const { scheduler } = await startLoops();
  const { migration } = await new MigrationService(store, new AuditService(store)).migrateVm({ vm: 'web', targetNode: 'node-b' }, ctx);
  const name = migration!.metadata.name;
  await awaitObject(store, 'Migration', name, 'Running', (m: Migration) => m.status?.phase === 'Running' && m);
  await waitFor(() => agent.open === 1, { what: 'the Migrate call open on the source agent' });
  await store.create(vmDoc('late', { memory: '2GiB' }));
  const pending = await awaitObject(store, 'VirtualMachine', 'late', 'Unschedulable', unschedulable);
  expect(pending.status?.node).toBeUndefined();
  expect(condition(pending, 'Scheduled')?.message).toMatch(/node-a: 1 GiB free < 2 GiB requested.*node-b: 1 GiB free < 2 GiB requested/);
  expect(scheduler.index.reservations()).toEqual([expect.objectContaining({ vm: `migration:${name}`, node: 'node-b', memoryBytes: 3 * GiB })]);
  return { migration: name, scheduler };
}

describe('target capacity reservation (real etcd)', () => {
  it('a VM that fits only without the reservation stays Pending while the migration runs, and lands on the freed source after it succeeds', async () => {
    const { migration, scheduler } = await moveWebAndAddLate();
    // The second migration to node-b and a drain plan see the first one's reservation too.
    // node-c is cordoned (a node being drained): nothing is scheduled onto it.
    await store.create(nodeDoc('node-c', { memoryBytes: 4 * GiB, cordoned: true }));
    await store.create(vmDoc('db', { node: 'node-c', memory: '2GiB' }));
    await expect(new MigrationService(store, new AuditService(store)).migrateVm({ vm: 'db', targetNode: 'node-b', dryRun: true }, ctx))
      .rejects.toMatchObject({ code: 'HVS-MIGRATION-NO-TARGET', why: expect.stringMatching(/node-b: 1 GiB free < 2 GiB requested/) });
    const drain = new DrainService(store, new AuditService(store), { cordon: () => Promise.reject(new Error('a plan does not cordon')) });
    expect((await drain.plan('node-c')).items).toEqual([expect.objectContaining({ vm: 'db', action: 'blocked', code: 'HVS-MIGRATION-NO-TARGET' })]);

    agent.release();
    await awaitObject(store, 'Migration', migration, 'Succeeded', (m: Migration) => m.status?.phase === 'Succeeded' && m);
    expect((await store.get<VirtualMachine>('VirtualMachine', 'web')).status?.node).toBe('node-b');
    const placed = await awaitObject(store, 'VirtualMachine', 'late', 'bound', (v: VirtualMachine) => v.status?.node);
    expect(placed).toBe('node-a');
    expect(scheduler.index.reservations()).toEqual([]);
  });

  it('after the migration fails the reservation is gone and the VM is placed on the target', async () => {
    agent.outcome = { phase: 'Failed', code: 'HVS-LIBVIRT-MIGRATE-UNREACHABLE', message: 'unable to connect', why: 'Connection refused', fix: 'open 16509' };
    const { migration, scheduler } = await moveWebAndAddLate();
    agent.release();
    await awaitObject(store, 'Migration', migration, 'Failed', (m: Migration) => m.status?.phase === 'Failed' && m);
    const placed = await awaitObject(store, 'VirtualMachine', 'late', 'bound', (v: VirtualMachine) => v.status?.node);
    expect(placed).toBe('node-b');
    expect((await store.get<VirtualMachine>('VirtualMachine', 'web')).status?.node).toBe('node-a');
    expect(scheduler.index.reservations()).toEqual([]);
  });
});
