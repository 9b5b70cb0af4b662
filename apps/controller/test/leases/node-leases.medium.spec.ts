import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { EtcdConnection } from '../../src/store';
import { NodeLeases, type LeaseEvent } from '../../src/leases';

// Real processes: each wait inside has its own deadline (waitFor); this is only the outer bound.
jest.setTimeout(30_000);

let etcd: EtcdInstance;
let conn: EtcdConnection;
let timers: NodeJS.Timeout[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  conn = new EtcdConnection({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
});
afterEach(() => {
  timers.forEach(clearInterval);
  timers = [];
});
afterAll(async () => {
  conn?.close();
  await etcd?.stop();
});

async function nextEvent(it: AsyncIterator<LeaseEvent>, timeoutMs: number): Promise<LeaseEvent> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      it.next().then((r) => {
        if (r.done) throw new Error('lease watch ended');
        return r.value;
      }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no lease event before the deadline')), timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('NodeLeases (real etcd, TTL 2 s)', () => {
  it('binds /hvs/v1/leases/<node> to a lease; renewals keep it, silence expires it and the watch says Expired', async () => {
    const leases = new NodeLeases({ connection: conn, ttlSeconds: 2 });
    const { revision } = await leases.list();
    const watch = leases.watch(revision);
    const it = watch[Symbol.asyncIterator]();
    try {
      const a = await leases.heartbeat('host-a');
      const b = await leases.heartbeat('host-b');
      expect([a.renewed, b.renewed]).toEqual([false, false]);
      expect(await conn.client.get('/hvs/v1/leases/host-a').string()).toContain('"node":"host-a"');
      expect((await nextEvent(it, 5_000)).type).toBe('Acquired');
      expect((await nextEvent(it, 5_000)).type).toBe('Acquired');

      // host-b keeps heartbeating (as the controller does on agent heartbeats); host-a goes silent.
      const renewals: boolean[] = [];
      timers.push(setInterval(() => void leases.heartbeat('host-b').then((r) => renewals.push(r.renewed), () => renewals.push(false)), 500));
      const expired = await nextEvent(it, 10_000);
      expect(expired).toMatchObject({ type: 'Expired', node: 'host-a' });
      expect((await leases.list()).nodes).toEqual(['host-b']);
      expect(renewals.length).toBeGreaterThan(0);
      expect(renewals.every(Boolean)).toBe(true);

      // host-a comes back: a new lease is granted and bound to the key again.
      const back = await leases.heartbeat('host-a');
      expect(back.renewed).toBe(false);
      expect(back.leaseId).not.toBe(a.leaseId);
      expect(await nextEvent(it, 5_000)).toMatchObject({ type: 'Acquired', node: 'host-a' });
    } finally {
      await watch.close();
    }
  });

  it('renews a lease granted by another controller replica (reads the lease id from the key)', async () => {
    const first = new NodeLeases({ connection: conn, ttlSeconds: 2 });
    const second = new NodeLeases({ connection: conn, ttlSeconds: 2 });
    const granted = await first.heartbeat('host-c');
    const renewed = await second.heartbeat('host-c');
    expect(renewed).toEqual({ leaseId: granted.leaseId, renewed: true });
    await second.release('host-c');
    await waitFor(async () => !(await first.list()).nodes.includes('host-c'), { what: 'host-c lease gone', timeoutMs: 5_000 });
  });

  it('rejects a node name that is not a DNS label', async () => {
    const leases = new NodeLeases({ connection: conn });
    await expect(leases.heartbeat('Bad_Name')).rejects.toMatchObject({ category: 'InvalidArgument' });
  });
});
