import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { volumeName } from '@hvs/domain';
import { writeTestNode } from '../../src/hypervisor';
import { agentClient, WatchView } from '../support/agent-client';
import { assignRequest, tempDir, testVm, until } from '../support/fixtures';

const CHILD = join(__dirname, 'agent-child.js');
const N = 20;
const uid = (n: number) => `c0ffee00-0000-4000-8000-${String(n).padStart(12, '0')}`;

interface Running {
  child: ChildProcess;
  address: string;
  exited: Promise<number | null>;
}

/**
 * The "Done when" chaos test: the agent as its own process (real sources via agent-child.js),
 * libvirt's test driver, real qemu-img volumes. Assign 20 VMs, SIGKILL the agent mid-way,
 * start it again on the same state dir: all 20 converge, each domain exists once, every volume
 * exists exactly once, none leaked, none made twice.
 *
 * The test driver keeps domains in the agent process, so after the kill they are gone and the
 * restarted agent must rebuild them from its persisted assignment: that is the property under
 * test (it converges from its state file alone, without a controller). Volumes are files and
 * survive, so the restart must find and reuse them.
 */
describe('agent process killed with SIGKILL mid-assignment', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('hvs-agent-kill9-'));
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
    await cleanup?.();
  });

  async function startAgent(uri: string): Promise<Running> {
    const child = spawn(process.execPath, [CHILD], {
      env: {
        ...process.env, HVS_NODE_NAME: 'node-k9', HVS_LIBVIRT_URI: uri, HVS_AGENT_STATE_DIR: join(dir, 'state'),
        HVS_AGENT_POOLS: `default=${join(dir, 'pool')}`, HVS_AGENT_LISTEN: '127.0.0.1:0', HVS_AGENT_METRICS_LISTEN: 'off', HVS_AGENT_WORKERS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"listen":"([^"]+)".*"msg":"node agent started"/.exec(out);
        if (m) resolve(m[1]);
      });
      void exited.then((code) => reject(new Error(`agent exited (${code}) before it started: ${err || out}`)));
      setTimeout(() => reject(new Error(`agent did not start within 60 s: ${err || out}`)), 60_000).unref();
    });
    return { child, address, exited };
  }

  async function volumes(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const f of await readdir(join(dir, 'pool'))) out.set(f, (await stat(join(dir, 'pool', f))).ino);
    return out;
  }

  it('converges all 20 VMs after a restart, each domain once, no leaked or doubled volume', async () => {
    const uri = await writeTestNode(join(dir, 'node.xml'), { poolDir: join(dir, 'pool'), cpus: 8, memoryBytes: 32 * 1024 ** 3 });
    const first = await startAgent(uri);
    const c1 = agentClient(first.address);
    const w1 = new WatchView(c1.raw);
    const vms = Array.from({ length: N }, (_, i) => testVm(`vm-${i + 1}`, uid(i + 1), { disks: [{ name: 'root', size: '32MiB' }] }));
    await c1.assign(assignRequest(vms, 1, 1, 'node-k9'));
    // Kill while the agent is still working through the list.
    const runningAtKill = await until('a few VMs Running', () => {
      const n = Object.values(w1.phases()).filter((p) => p === 'Running').length;
      return n >= 3 ? n : undefined;
    }, 60_000);
    process.kill(first.child.pid!, 'SIGKILL');
    await first.exited;
    w1.cancel();
    c1.close();
    expect(runningAtKill).toBeLessThan(N); // really mid-way
    const beforeRestart = await volumes();

    const second = await startAgent(uri);
    const c2 = agentClient(second.address);
    const w2 = new WatchView(c2.raw);
    try {
      await until('all 20 Running after the restart', () => Object.values(w2.phases()).filter((p) => p === 'Running').length === N, 90_000);
      const snap = await until('a fresh snapshot', async () => {
        const w = new WatchView(c2.raw);
        try {
          return await until('snapshot', () => w.snapshot, 10_000);
        } finally {
          w.cancel();
        }
      });
      // Each domain once: 20 managed VMs with distinct uids, nothing unmanaged (no stray copy).
      expect(new Set(snap.vms.map((v) => v.uid)).size).toBe(N);
      expect(snap.vms.every((v) => v.phase === 'Running')).toBe(true);
      expect(snap.unmanagedDomains).toEqual([]);
      await expect(c2.heartbeat()).resolves.toMatchObject({ vmsRunning: N, observedGeneration: 1 });

      // Volumes: exactly one per VM, no partial or foreign file, and the ones made before the
      // kill were reused (same inode), not made again.
      const after = await volumes();
      expect([...after.keys()].sort()).toEqual(vms.map((v) => volumeName(v.metadata.uid!, 'root')).sort());
      for (const [name, ino] of beforeRestart) if (!name.endsWith('.partial')) expect(after.get(name)).toBe(ino);
    } finally {
      w2.cancel();
      c2.close();
      process.kill(second.child.pid!, 'SIGTERM');
    }
    await expect(second.exited).resolves.toBe(0); // SIGTERM: clean stop, exit 0
  }, 180_000);
});
