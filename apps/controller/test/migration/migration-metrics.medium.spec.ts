/**
 * hvs_migration* metrics move when migrations end (real etcd, the MigrationReconciler, the
 * source agent faked behind our own Agent gRPC interface): counted once per migration by
 * mode and result, duration and downtime observed, in-flight counted while one runs.
 */
import type { Migration, Node, StoragePool, VirtualMachine } from '@hvs/domain';
import { Registry } from 'prom-client';
import { waitFor } from '../../../../test/harness';
import { AuditService } from '../../src/audit';
import { countInFlight, MigrationMetrics, MigrationReconciler, MigrationService } from '../../src/migration';
import { Informer } from '../../src/runtime';
import type { EtcdStore } from '../../src/store';
import { awaitObject, nodeDoc, startInformer, vmDoc } from '../runtime/fixtures';
import type { FakeMigrateAgent } from './fake-migrate-agent';
import { startMigrationEnv, stopMigrationEnv, type MigrationEnv } from './migration-env';
import { asUser } from '../identity/as-user';

jest.setTimeout(60_000);

let env: MigrationEnv;
let store: EtcdStore;
let agent: FakeMigrateAgent;
let stops: (() => Promise<void>)[];
const ctx = asUser('test');

beforeAll(async () => {
  env = await startMigrationEnv();
  ({ store, agent, stops } = env);
});
afterAll(() => stopMigrationEnv(env));

async function value(registry: Registry, name: string, labels: Record<string, string>, suffix = ''): Promise<number | undefined> {
  const m = await registry.getSingleMetric(name)!.get();
  const metricName = `${name}${suffix}`;
  return m.values.find((v) => (suffix === '' || (v as { metricName?: string }).metricName === metricName) && Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))?.value;
}

const ended = (m: Migration) => (m.status?.phase === 'Succeeded' || m.status?.phase === 'Failed') && m;

it('a succeeded and a failed live migration each count once, with duration and downtime; in-flight follows', async () => {
  await store.create(nodeDoc('node-a', { address: agent.address }));
  await store.create(nodeDoc('node-b', { address: '10.0.0.2:7002' }));
  await store.create(vmDoc('web', { node: 'node-a' }));
  await store.create(vmDoc('db', { node: 'node-a' }));
  const vms = await startInformer<VirtualMachine>(store, 'VirtualMachine');
  const nodes = await startInformer<Node>(store, 'Node');
  const pools = await startInformer<StoragePool>(store, 'StoragePool');
  const registry = new Registry();
  const holder: { reconciler?: MigrationReconciler } = {};
  const metrics = new MigrationMetrics(registry, () => (holder.reconciler ? countInFlight(holder.reconciler.migrations.list()) : undefined));
  const reconciler = new MigrationReconciler({ store, vms: vms as Informer<VirtualMachine>, nodes, storagePools: pools, progressEveryMs: 0, observer: metrics });
  holder.reconciler = reconciler;
  await reconciler.start();
  stops.push(() => vms.stop(), () => nodes.stop(), () => pools.stop(), () => reconciler.stop());
  const svc = new MigrationService(store, new AuditService(store), (() => { let t = Date.now(); return () => new Date(t++); })());

  agent.hold = true;
  const m1 = (await svc.migrateVm({ vm: 'web' }, ctx)).migration!.metadata.name;
  await waitFor(() => agent.open === 1, { what: 'the Migrate call open' });
  await waitFor(async () => (await value(registry, 'hvs_migrations_in_flight', { phase: 'Running' })) === 1, { what: 'in flight: 1 Running' });
  expect(await value(registry, 'hvs_migrations_total', { mode: 'live', result: 'succeeded' })).toBeUndefined();
  agent.release();
  const done = await awaitObject(store, 'Migration', m1, 'ended', ended);
  expect(done.status?.phase).toBe('Succeeded');
  await waitFor(async () => (await value(registry, 'hvs_migrations_total', { mode: 'live', result: 'succeeded' })) === 1, { what: 'succeeded counted' });
  expect(await value(registry, 'hvs_migration_downtime_seconds', { mode: 'live' }, '_sum')).toBeCloseTo(0.042, 6);
  expect(await value(registry, 'hvs_migration_downtime_seconds', { mode: 'live', le: '0.05' }, '_bucket')).toBe(1);
  expect(await value(registry, 'hvs_migration_downtime_seconds', { mode: 'live', le: '0.025' }, '_bucket')).toBe(0);
  expect(await value(registry, 'hvs_migration_duration_seconds', { mode: 'live' }, '_count')).toBe(1);
  expect(await value(registry, 'hvs_migration_duration_seconds', { mode: 'live' }, '_sum')).toBeCloseTo(done.status!.durationMs! / 1000, 6);

  agent.outcome = { phase: 'Failed', code: 'HVS-LIBVIRT-MIGRATE-UNREACHABLE', message: 'unable to connect', why: 'refused', fix: 'open 16509' };
  const m2 = (await svc.migrateVm({ vm: 'db' }, ctx)).migration!.metadata.name;
  await awaitObject(store, 'Migration', m2, 'ended', ended);
  await waitFor(async () => (await value(registry, 'hvs_migrations_total', { mode: 'live', result: 'failed' })) === 1, { what: 'failed counted' });
  // A failure has no downtime; success stays counted once (the reconciler's later passes do not count again).
  expect(await value(registry, 'hvs_migration_downtime_seconds', { mode: 'live' }, '_count')).toBe(1);
  expect(await value(registry, 'hvs_migrations_total', { mode: 'live', result: 'succeeded' })).toBe(1);
  expect(await value(registry, 'hvs_migration_duration_seconds', { mode: 'live' }, '_count')).toBe(2);
  await waitFor(async () => (await value(registry, 'hvs_migrations_in_flight', { phase: 'Running' })) === 0, { what: 'nothing in flight' });
  expect(await value(registry, 'hvs_migrations_in_flight', { phase: 'Pending' })).toBe(0);

  // A cancelled one counts as cancelled, not failed.
  agent.hold = true;
  const m3 = (await svc.migrateVm({ vm: 'db' }, ctx)).migration!.metadata.name;
  await waitFor(() => agent.open === 1, { what: 'the third Migrate call open' });
  await svc.cancel({ migration: m3 }, ctx);
  await awaitObject(store, 'Migration', m3, 'ended', ended);
  await waitFor(async () => (await value(registry, 'hvs_migrations_total', { mode: 'live', result: 'cancelled' })) === 1, { what: 'cancelled counted' });
  expect(await value(registry, 'hvs_migrations_total', { mode: 'live', result: 'failed' })).toBe(1);
});
