/**
 * Chaos: cut off the host running an HA VM (DESIGN §8 chaos tier, issue #6 "Done when").
 * Three agents in their own network namespaces (libvirt test driver), the controller and etcd
 * in the root namespace, default timings (heartbeat 2 s, lease 8 s, fenceAfter 15 s, margin 5 s).
 * Every ~250 ms it reads, from outside, which agents run the VM (each agent's /metrics inside
 * its namespace, also for the partitioned one). Asserts: the VM is Running on another host
 * within 30 s of the partition; at no sampled instant does it run on two hosts; after healing,
 * still exactly one, and the healed host never starts it again (its agent fenced itself and
 * only unfences with the controller's newer assignment, which no longer holds the VM).
 */
import type { Node, VirtualMachine } from '@hvs/domain';
import { describeChaos } from './gate';
import { startChaosLab, type ChaosLab } from './lab';

jest.setTimeout(150_000);

const VM = 'ha-web';
let lab: ChaosLab | undefined;

afterAll(async () => {
  await lab?.stop();
});

interface Sample {
  t: number;
  on: string[];
}

describeChaos('partition a host running an HA VM (3 agents in network namespaces)', () => {
  it('restarts the VM elsewhere within 30 s, never on two hosts, and the healed host does not start it again', async () => {
    lab = await startChaosLab({ agents: 3 });
    const { store } = lab;
    await store.create({
      apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: VM },
      spec: { cpu: { cores: 1 }, memory: { size: '64MiB' }, disks: [], networks: [], runState: 'Running', ha: { restartPolicy: 'Always', priority: 100 } },
    });
    const samples: Sample[] = [];
    const t0 = Date.now();
    const sample = async (): Promise<Sample> => {
      const counts = await lab!.running();
      const s = { t: Date.now() - t0, on: [...counts].filter(([, n]) => n > 0).map(([node]) => node) };
      samples.push(s);
      return s;
    };
    const until = async (what: string, cond: (s: Sample) => boolean, timeoutMs: number): Promise<Sample> => {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const s = await sample();
        if (cond(s)) return s;
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last samples ${JSON.stringify(samples.slice(-5))}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    const first = await until(`${VM} Running on one host`, (s) => s.on.length === 1, 30_000);
    const home = lab.agents.find((a) => a.node === first.on[0])!;
    const vmBefore = await store.get<VirtualMachine>('VirtualMachine', VM);
    expect(vmBefore.status?.node).toBe(home.node);

    await lab.partition(home);
    const cutAt = Date.now();
    const moved = await until(`${VM} Running on another host`, (s) => s.on.length >= 1 && !s.on.includes(home.node), 30_000);
    const restartMs = Date.now() - cutAt;
    const vmAfter = await store.get<VirtualMachine>('VirtualMachine', VM);
    expect(vmAfter.status?.node).toBe(moved.on[0]);
    expect(vmAfter.status?.conditions?.find((c) => c.type === 'Rescheduled')).toMatchObject({ status: 'True', reason: 'NodeLost' });
    const lost = await store.get<Node>('Node', home.node);
    expect(lost.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('Unknown');

    // Heal: the host comes back, is Ready again, and must not start the VM.
    await lab.heal(home);
    const s = store;
    const backDeadline = Date.now() + 45_000;
    for (;;) {
      await sample();
      const n = await s.get<Node>('Node', home.node);
      if (n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
      if (Date.now() > backDeadline) throw new Error(`${home.node} not Ready again 45 s after healing; agent output: ${home.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    for (let i = 0; i < 16; i++) {
      await sample();
      await new Promise((r) => setTimeout(r, 250));
    }

    const twice = samples.filter((x) => x.on.length > 1);
    expect(twice).toEqual([]);
    const after = samples.filter((x) => x.t >= moved.t);
    expect(after.every((x) => x.on.length === 1 && x.on[0] === moved.on[0])).toBe(true);
    console.log(`chaos partition: ${home.node} cut at ${cutAt - t0} ms, ${VM} Running on ${moved.on[0]} ${restartMs} ms later; ${samples.length} samples, none on two hosts`);
    expect(home.output()).toMatch(/self-fencing: no contact with the controller/);
  });
});
