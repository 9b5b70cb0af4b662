import type { VirtualMachine } from '@hvs/domain';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { LeaderElector } from '../../src/leader';
import { NodeLeases } from '../../src/leases';
import { ControlLoops } from '../../src/app/control-loops';
import { EtcdConnection, EtcdStore } from '../../src/store';
import { awaitObject, nodeDoc, vmDoc } from '../runtime/fixtures';

// Real etcd and two electors with 2 s leases; waits have their own deadlines.
jest.setTimeout(40_000);

interface Replica {
  id: string;
  conn: EtcdConnection;
  store: EtcdStore;
  elector: LeaderElector;
  loops: ControlLoops;
}

let etcd: EtcdInstance;
const replicas: Replica[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  for (const r of replicas) {
    await r.loops.stop();
    await r.elector.resign();
    await r.store.close();
    r.conn.close();
  }
  await etcd?.stop();
});

function replica(id: string): Replica {
  const conn = new EtcdConnection({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
  const store = new EtcdStore({ endpoints: [etcd.endpoint], connection: conn });
  const elector = new LeaderElector({ connection: conn, id, ttlSeconds: 2 });
  const loops = new ControlLoops({ store, elector, controllerId: id, leases: new NodeLeases({ connection: conn, ttlSeconds: 30 }) });
  const r = { id, conn, store, elector, loops };
  replicas.push(r);
  return r;
}

describe('ControlLoops leader gating (real etcd, two replicas)', () => {
  it('only the leader runs the loops and binds; after it resigns the other replica takes over and binds', async () => {
    const one = replica('ctl-one');
    const two = replica('ctl-two');
    for (const r of [one, two]) {
      r.loops.start();
      void r.elector.campaign();
    }
    const leader = await waitFor(() => [one, two].find((r) => r.elector.isLeader), { what: 'a leader', timeoutMs: 10_000 });
    const follower = leader === one ? two : one;
    await waitFor(() => leader.loops.active, { what: 'leader loops running', timeoutMs: 10_000 });

    // A live node lease, so the node-lifecycle loop keeps the node Ready.
    await new NodeLeases({ connection: one.conn, ttlSeconds: 30 }).heartbeat('node-a');
    await one.store.create(nodeDoc('node-a'));
    await one.store.create(vmDoc('first'));
    expect(await awaitObject<VirtualMachine, string>(one.store, 'VirtualMachine', 'first', 'bound', (vm) => vm.status?.node)).toBe('node-a');
    // The binding's watch event can reach this test before the scheduler's write call returns
    // (the StatusBatcher resolves after etcd's txn reply): wait for the count, do not race it.
    await waitFor(() => leader.loops.scheduler?.bound === 1, { what: 'the leader counted its binding', timeoutMs: 10_000 });
    expect(follower.loops.active).toBe(false);
    expect(follower.loops.scheduler).toBeUndefined();

    await leader.elector.resign();
    await leader.loops.settled();
    expect(leader.loops.active).toBe(false);
    await waitFor(() => follower.elector.isLeader && follower.loops.active, { what: 'the follower leads and runs the loops', timeoutMs: 10_000 });

    await one.store.create(vmDoc('second'));
    expect(await awaitObject<VirtualMachine, string>(one.store, 'VirtualMachine', 'second', 'bound', (vm) => vm.status?.node)).toBe('node-a');
    await waitFor(() => follower.loops.scheduler?.bound === 1, { what: 'the new leader counted its binding', timeoutMs: 10_000 });
    expect(leader.loops.scheduler).toBeUndefined();
  });
});
