/**
 * A live migration waits for the target to realise the VM's Networks: Pending with reason
 * WaitingForNetwork and the chosen target named (so the dispatcher puts the Networks into the
 * target's Assign), then Running once the target reports them ready. Real etcd, fake agent.
 */
import type { Migration, Network, Node, StoragePool, VirtualMachine } from '@hvs/domain';
import { MigrationReconciler, MigrationService } from '../../src/migration';
import { AuditService } from '../../src/audit';
import type { EtcdStore } from '../../src/store';
import { asUser } from '../identity/as-user';
import { awaitObject, nodeDoc, startInformer, vmDoc } from '../runtime/fixtures';
import type { FakeMigrateAgent } from './fake-migrate-agent';
import { startMigrationEnv, stopMigrationEnv, type MigrationEnv } from './migration-env';

jest.setTimeout(30_000);

let env: MigrationEnv;
let store: EtcdStore;
let agent: FakeMigrateAgent;

beforeEach(async () => {
  env = await startMigrationEnv();
  ({ store, agent } = env);
});
afterEach(() => stopMigrationEnv(env));

it('waits Pending (WaitingForNetwork, target named) until the target reports the Network ready, then runs', async () => {
  const lan: Network = { apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'lan' }, spec: { mode: 'nat', subnet: '10.10.0.0/24' } };
  await store.create(lan);
  await store.create(nodeDoc('node-a', { address: agent.address }));
  await store.create(nodeDoc('node-b', { address: '10.0.0.2:7002' }));
  await store.create(vmDoc('web', { node: 'node-a', networks: ['lan'] }));
  const ready = new Set<string>();
  const vms = await startInformer<VirtualMachine>(store, 'VirtualMachine');
  const nodes = await startInformer<Node>(store, 'Node');
  const pools = await startInformer<StoragePool>(store, 'StoragePool');
  const r = new MigrationReconciler({ store, vms, nodes, storagePools: pools, progressEveryMs: 0, networkReady: (n, node) => ready.has(`${n}@${node}`) });
  await r.start();
  env.stops.push(() => vms.stop(), () => nodes.stop(), () => pools.stop(), () => r.stop());

  const name = (await new MigrationService(store, new AuditService(store)).migrateVm({ vm: 'web' }, asUser('ops'))).migration!.metadata.name;
  const waiting = await awaitObject(store, 'Migration', name, 'waiting for the Network', (m: Migration) => m.status?.reason === 'WaitingForNetwork' && m);
  expect(waiting.status).toMatchObject({ phase: 'Pending', targetNode: 'node-b', message: expect.stringMatching(/waiting for Network lan to be ready on node-b before VM web moves there/) });
  expect(agent.requests).toHaveLength(0);

  ready.add('lan@node-b');
  r.runner.enqueue(name);
  const running = await awaitObject(store, 'Migration', name, 'started', (m: Migration) => m.status?.phase !== 'Pending' && m);
  expect(running.status?.phase).toMatch(/Running|Succeeded/);
  expect(running.status?.targetNode).toBe('node-b');
});
