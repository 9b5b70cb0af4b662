import type { Node } from '@hvs/domain';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { NodeLeases } from '../../src/leases';
import { NodeLifecycleReconciler } from '../../src/node-lifecycle';
import { EtcdStore } from '../../src/store';
import { awaitObject, condition, nodeDoc, startInformer } from '../runtime/fixtures';

// Real etcd with 2 s leases: each wait has its own deadline; this is the outer bound.
jest.setTimeout(40_000);

let etcd: EtcdInstance;
let store: EtcdStore;
let stops: (() => Promise<void> | void)[] = [];

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

async function startLifecycle(leases: NodeLeases): Promise<void> {
  const nodes = await startInformer<Node>(store, 'Node');
  const lifecycle = new NodeLifecycleReconciler({ store, nodes, leases });
  await lifecycle.start();
  stops.push(() => nodes.stop(), () => lifecycle.stop());
}

const readyOf = (reason: string) => (n: Node) => condition(n, 'Ready')?.reason === reason && condition(n, 'Ready')!;

describe('NodeLifecycleReconciler (real etcd, lease TTL 2 s)', () => {
  it('Ready=True while heartbeats renew the lease; Ready=Unknown/NodeLeaseExpired with the last heartbeat time once it expires; True again on return', async () => {
    const leases = new NodeLeases({ connection: store.connection, ttlSeconds: 2 });
    await store.create({ ...nodeDoc('host-a'), status: { capacity: { cpus: 4, memoryBytes: 1 } } });
    await leases.heartbeat('host-a');
    await startLifecycle(leases);

    const up = await awaitObject(store, 'Node', 'host-a', 'Ready=True', readyOf('NodeLeaseRenewed'));
    expect(up.status).toBe('True');

    // Heartbeats stop (no renewal): etcd expires the lease after its TTL.
    const down = await awaitObject(store, 'Node', 'host-a', 'Ready=Unknown', readyOf('NodeLeaseExpired'), 15_000);
    expect(down.status).toBe('Unknown');
    expect(down.message).toMatch(/^no heartbeat from the node agent since \d{4}-.*Z at the latest; its 2 s lease expired at \d{4}-.*Z$/);
    expect(Date.parse(down.lastTransitionTime!)).toBeGreaterThanOrEqual(Date.parse(up.lastTransitionTime!));

    await leases.heartbeat('host-a');
    const back = await awaitObject(store, 'Node', 'host-a', 'Ready=True again', readyOf('NodeLeaseRenewed'));
    expect(back.status).toBe('True');
    await leases.release('host-a');
  });

  it('a node with no lease at all is Ready=Unknown, naming its last reported heartbeat; re-evaluating it writes nothing', async () => {
    const leases = new NodeLeases({ connection: store.connection, ttlSeconds: 2 });
    await store.create({ ...nodeDoc('host-b'), status: { lastHeartbeat: '2026-01-02T03:04:05.000Z' } });
    const nodes = await startInformer<Node>(store, 'Node');
    stops.push(() => nodes.stop());
    const lifecycle = new NodeLifecycleReconciler({ store, nodes, leases });
    await lifecycle.reconcile('host-b');
    const first = await store.get<Node>('Node', 'host-b');
    expect(condition(first, 'Ready')).toMatchObject({
      status: 'Unknown', reason: 'NodeLeaseExpired', message: 'the node agent holds no heartbeat lease (last heartbeat: 2026-01-02T03:04:05.000Z)',
    });
    await lifecycle.reconcile('host-b');
    expect((await store.get<Node>('Node', 'host-b')).metadata.resourceVersion).toBe(first.metadata.resourceVersion);
  });
});
