import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnTracked, startEtcd, stopProcess, waitFor, type EtcdInstance } from '../../../../test/harness';
import { EtcdConnection } from '../../src/store';
import { LeaderElector } from '../../src/leader';

// Real processes: each wait inside has its own deadline (waitFor); this is only the outer bound.
jest.setTimeout(30_000);

let etcd: EtcdInstance;
const connections: EtcdConnection[] = [];
const electors: LeaderElector[] = [];
const children: ChildProcess[] = [];

function connect(): EtcdConnection {
  const c = new EtcdConnection({ endpoints: [etcd.endpoint], callTimeoutMs: 2_000 });
  connections.push(c);
  return c;
}
function elector(id: string, connection = connect()): LeaderElector {
  const e = new LeaderElector({ connection, id, address: `10.0.0.1:${id.length}`, ttlSeconds: 2 });
  electors.push(e);
  return e;
}

beforeAll(async () => {
  etcd = await startEtcd();
});
afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.resign()));
  connections.splice(0).forEach((c) => c.close());
  await Promise.all(children.splice(0).map((c) => stopProcess(c, 'SIGKILL')));
  const cleanup = new EtcdConnection({ endpoints: [etcd.endpoint] });
  await cleanup.client.delete().key('/hvs/v1/leader').exec();
  cleanup.close();
});
afterAll(async () => {
  await etcd?.stop();
});

describe('LeaderElector (real etcd, TTL 2 s)', () => {
  it('elects exactly one of two replicas and hands over at once on resign', async () => {
    const a = elector('replica-a');
    const b = elector('replica-b');
    const changes: string[] = [];
    a.onChange((l) => changes.push(`a:${l}`));
    b.onChange((l) => changes.push(`b:${l}`));
    void a.campaign();
    void b.campaign();
    await waitFor(() => a.isLeader || b.isLeader, { what: 'a leader', timeoutMs: 5_000 });
    expect(a.isLeader !== b.isLeader).toBe(true);
    const [leader, follower] = a.isLeader ? [a, b] : [b, a];
    const stored = await follower.leader();
    expect(stored?.id).toBe(leader === a ? 'replica-a' : 'replica-b');

    await leader.resign();
    expect(leader.isLeader).toBe(false);
    await waitFor(() => follower.isLeader, { what: 'the follower to take over', timeoutMs: 5_000 });
    expect((await leader.leader())?.id).toBe(follower === a ? 'replica-a' : 'replica-b');
    expect(changes.filter((c) => c.endsWith('true'))).toHaveLength(2);
  });

  it('takes over within the TTL when the leader stops renewing (its client closed)', async () => {
    const connA = connect();
    const a = elector('replica-a', connA);
    await a.campaign();
    expect(a.isLeader).toBe(true);
    const b = elector('replica-b');
    void b.campaign();
    connA.close(); // renewals now fail: the lease expires in etcd, a steps down on its own clock
    await waitFor(() => !a.isLeader, { what: 'the old leader to step down', timeoutMs: 5_000 });
    await waitFor(() => b.isLeader, { what: 'replica-b to lead', timeoutMs: 10_000 });
    expect((await b.leader())?.id).toBe('replica-b');
  });

  it('fails over between two processes when the leader process is killed with SIGKILL', async () => {
    const script = path.join(__dirname, 'elector-child.js');
    const lines = new Map<string, string[]>();
    const spawnReplica = (id: string) => {
      const child = spawnTracked(process.execPath, [script, etcd.endpoint, id, '2']);
      children.push(child);
      lines.set(id, []);
      child.stdout!.on('data', (d: Buffer) => lines.get(id)!.push(...d.toString().trim().split('\n')));
      return child;
    };
    const p1 = spawnReplica('proc-1');
    await waitFor(() => lines.get('proc-1')!.includes('LEADER proc-1'), { what: 'proc-1 to lead', timeoutMs: 15_000 });
    const p2 = spawnReplica('proc-2');
    await waitFor(() => lines.get('proc-2')!.includes('READY proc-2'), { what: 'proc-2 to start', timeoutMs: 15_000 });
    expect(lines.get('proc-2')).not.toContain('LEADER proc-2');

    const killedAt = Date.now();
    await stopProcess(p1, 'SIGKILL');
    await waitFor(() => lines.get('proc-2')!.includes('LEADER proc-2'), { what: 'proc-2 to take over', timeoutMs: 10_000 });
    console.info(`leader failover after SIGKILL: ${Date.now() - killedAt} ms (TTL 2 s)`); // a figure, not an assertion
    const probe = new LeaderElector({ connection: connect(), id: 'probe' });
    expect((await probe.leader())?.id).toBe('proc-2');
    expect(p2.exitCode).toBeNull();
  });
});
