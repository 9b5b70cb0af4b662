/**
 * Scheduler-through-etcd benchmark (not a test): N pending VMs bound onto M nodes by the
 * controller's real VmScheduleReconciler, each binding a compare-and-swap status write to a
 * real etcd (Debian's `etcd`, started here on a temp dir and loopback ports, removed after).
 * Prints VMs bound per second (first bind attempt to last binding seen by the watch), bind
 * latency percentiles (one reconcile: decide + CAS write), conflicts, and checks that no node
 * ended up overcommitted.
 *
 * Run: see bench/README.md ("VM binding through etcd"). Flags: --vms 1000 --nodes 100
 * --workers 64 --seed 1, and --no-batch
 * (one etcd transaction per binding, for comparison). The controller code is loaded from its build (apps/controller/dist)
 * at run time, so compiling bench/ never depends on the controller being built.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const GiB = 1024 ** 3;

// ---- the few controller types this bench touches (the real classes come from apps/controller/dist) ----
interface StoredObject { apiVersion: string; kind: string; metadata: { name: string; resourceVersion?: string }; spec?: unknown; status?: unknown }
interface Store {
  applyBatch(ops: { op: 'create'; object: StoredObject }[]): Promise<unknown>;
  list<T>(kind: string): Promise<{ items: T[] }>;
  close(): Promise<void>;
}
interface InformerLike { start(): Promise<void>; stop(): Promise<void>; subscribe(h: (e: { object: { status?: { node?: string } }; old?: { status?: { node?: string } } }) => void): () => void }
interface SchedulerLike { start(): void; stop(): Promise<void>; bound: number; batcher?: { stats: { transactions: number; writes: number; fallbacks: number } } }
interface Dist {
  EtcdStore: new (o: { endpoints: string[]; callTimeoutMs?: number }) => Store;
  Informer: new (store: Store, kind: string) => InformerLike;
  VmScheduleReconciler: new (o: {
    store: Store; vms: InformerLike; nodes: InformerLike; workers?: number; batchWrites?: boolean;
    hooks?: { onResult?(key: string, outcome: string, ms: number): void; onError?(key: string, e: unknown): void };
  }) => SchedulerLike;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a whole number > 0, got ${process.argv[i + 1]}`);
  return v;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function loadController(): Dist {
  const dist = path.resolve(__dirname, '../../../apps/controller/dist');
  const parts = ['store/index.js', 'runtime/index.js', 'scheduling/index.js'];
  const missing = parts.find((p) => !fs.existsSync(path.join(dist, p)));
  if (missing) throw new Error(`${dist}/${missing} is missing: build the libs and the controller first (see bench/README.md)`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return Object.assign({}, ...parts.map((p) => require(path.join(dist, p)))) as Dist;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startEtcd(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-bench-etcd-'));
  const [cp, pp] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${cp}`;
  const peer = `http://127.0.0.1:${pp}`;
  const child: ChildProcess = spawn('etcd', ['--logger=zap', '--log-level=error', '--name', 'b1', '--data-dir', dir,
    '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer, '--initial-cluster', `b1=${peer}`], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return { endpoint: client, stop };
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`etcd did not become healthy at ${client} (is Debian's etcd-server installed?)`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const vms = arg('vms', 1000);
  const nodes = arg('nodes', 100);
  const workers = arg('workers', 64);
  const rand = prng(arg('seed', 1));
  const ctl = loadController();
  const etcd = await startEtcd();
  const store = new ctl.EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 10_000 });
  try {
    const ready = { type: 'Ready', status: 'True', reason: 'Bench', lastTransitionTime: new Date().toISOString() };
    const nodeObjs: StoredObject[] = Array.from({ length: nodes }, (_, i) => ({
      apiVersion: 'hvs/v1', kind: 'Node', metadata: { name: `node-${String(i).padStart(4, '0')}` }, spec: { overcommit: { cpu: 1, memory: 1 } },
      status: { capacity: { cpus: 64, memoryBytes: 256 * GiB }, conditions: [ready] },
    }));
    const vmObjs: StoredObject[] = Array.from({ length: vms }, (_, i) => ({
      apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: `vm-${String(i).padStart(5, '0')}`, labels: { app: `app-${i % 20}` } },
      spec: { cpu: { cores: 1 + Math.floor(rand() * 4) }, memory: { size: `${1 + Math.floor(rand() * 8)}GiB` }, disks: [], networks: [], runState: 'Running' },
    }));
    for (const batch of chunks([...nodeObjs, ...vmObjs], 100)) await store.applyBatch(batch.map((object) => ({ op: 'create' as const, object })));

    const vmInf = new ctl.Informer(store, 'VirtualMachine');
    const nodeInf = new ctl.Informer(store, 'Node');
    await vmInf.start();
    await nodeInf.start();
    let seen = 0;
    let allBound!: () => void;
    const finished = new Promise<void>((r) => (allBound = r));
    vmInf.subscribe((e) => {
      if (e.object.status?.node && !e.old?.status?.node && ++seen === vms) allBound();
    });
    const latencies: number[] = [];
    let errors = 0;
    const scheduler = new ctl.VmScheduleReconciler({
      store, vms: vmInf, nodes: nodeInf, workers, batchWrites: !process.argv.includes('--no-batch'),
      hooks: { onResult: (_k, outcome, ms) => outcome === 'done' && latencies.push(ms), onError: () => errors++ },
    });
    const t0 = performance.now();
    scheduler.start();
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    await scheduler.stop();
    await vmInf.stop();
    await nodeInf.stop();

    // Check the outcome in etcd: every VM bound, no node over its capacity.
    const stored = (await store.list<{ spec: { cpu: { cores: number }; memory: { size: string } }; status?: { node?: string } }>('VirtualMachine')).items;
    const use = new Map<string, { cpus: number; mem: number }>();
    for (const vm of stored) {
      const u = use.get(vm.status!.node!) ?? { cpus: 0, mem: 0 };
      u.cpus += vm.spec.cpu.cores;
      u.mem += Number.parseInt(vm.spec.memory.size, 10) * GiB;
      use.set(vm.status!.node!, u);
    }
    const over = [...use.values()].filter((u) => u.cpus > 64 || u.mem > 256 * GiB).length;
    const unbound = stored.filter((v) => !v.status?.node).length;
    latencies.sort((a, b) => a - b);
    const cpu = os.cpus();
    console.log(`machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}, etcd on ${os.tmpdir()}`);
    console.log(`bound ${scheduler.bound} of ${vms} VMs onto ${nodes} nodes with ${workers} workers in ${seconds.toFixed(2)} s`);
    console.log(`VMs bound per second: ${Math.round(vms / seconds)} (goal >= 500)`);
    console.log(`bind latency (decide + CAS write) ms: p50 ${pct(latencies, 50).toFixed(1)}, p90 ${pct(latencies, 90).toFixed(1)}, p99 ${pct(latencies, 99).toFixed(1)}, max ${(latencies.at(-1) ?? 0).toFixed(1)}`);
    const b = scheduler.batcher?.stats;
    if (b) console.log(`etcd transactions: ${b.transactions} for ${b.writes} status writes (${(b.writes / b.transactions).toFixed(1)} per transaction), batch fallbacks: ${b.fallbacks}`);
    console.log(`retried errors (conflicts etc.): ${errors}; nodes used: ${use.size}; overcommitted nodes: ${over}; unbound VMs: ${unbound}`);
    if (over > 0 || unbound > 0) process.exitCode = 1;
  } finally {
    await store.close();
    await etcd.stop();
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
