/**
 * apply-burst: `hvctl up` (test driver, temp data dir, free ports), then one `hvctl apply`
 * of N small VMs, and the time from the moment apply was started until each VM is Running,
 * as seen on the controller's REST watch (NDJSON). Also when each VM was first seen
 * Scheduled and Starting, to tell where the time goes. Prints figures; asserts nothing.
 *
 * Usage: node bench/dist/apply-burst/apply-burst.js [--vms 100] [--memory 16MiB] [--disk 64MiB] [--keep]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const REPO = path.resolve(__dirname, '../../..');
const HVCTL = path.join(REPO, 'apps/hvctl/dist/main.js');

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const VMS = Number(flag('vms', '100'));
const MEMORY = flag('memory', '16MiB');
const DISK = flag('disk', '64MiB');
const KEEP = process.argv.includes('--keep');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-bench-burst-'));
const dataDir = path.join(root, 'data');
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HVS_'))),
  HVS_CONFIG: path.join(dataDir, 'hvctl.yaml'), NO_COLOR: '1',
};

function hvctl(args: string[], timeoutMs = 60_000, input?: string): string {
  const r = spawnSync(process.execPath, [HVCTL, ...args], { env, encoding: 'utf8', timeout: timeoutMs, input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`hvctl ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function manifest(): string {
  const docs: string[] = [];
  for (let i = 0; i < VMS; i++) {
    const name = `burst-${String(i).padStart(3, '0')}`;
    docs.push(`apiVersion: hvs/v1
kind: VirtualMachine
metadata:
  name: ${name}
  labels: { bench: apply-burst }
spec:
  cpu: { cores: 1 }
  memory: { size: ${MEMORY} }
  disks: [{ name: root, size: ${DISK} }]
  networks: []
  runState: Running
`);
  }
  return docs.join('---\n');
}

/** Nearest-rank percentile of sorted values. */
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface Seen { Scheduled?: number; Starting?: number; Running?: number }

/** Sums of the Prometheus samples at `url` whose line starts with one of `prefixes` (no buckets). */
async function scrape(url: string, prefixes: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const text = await (await fetch(url)).text().catch(() => '');
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.includes('_bucket{') || !prefixes.some((p) => line.startsWith(p))) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** What the controller, the agent and etcd did during the burst (counter differences). */
const COUNTERS: [string, string[]][] = [
  ['etcd', ['etcd_server_proposals_committed_total', 'etcd_mvcc_put_total', 'etcd_mvcc_range_total', 'etcd_mvcc_txn_total']],
  ['controller', ['process_cpu_seconds_total', 'hvs_reconcile_total', 'hvs_reconcile_duration_seconds_sum', 'hvs_api_request_duration_seconds_sum{transport="grpc",method="ResourceService/Apply"}']],
  ['agent', ['hvs_agent_process_process_cpu_seconds_total', 'hvs_agent_reconcile_total', 'hvs_agent_reconcile_duration_seconds_sum', 'hvs_libvirt_call_duration_seconds_count']],
];

async function main(): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  const upStart = performance.now();
  hvctl(['up', '--data-dir', dataDir, '--ports', 'auto', '--hypervisor', 'test'], 180_000);
  const state = JSON.parse(fs.readFileSync(path.join(dataDir, 'state.json'), 'utf8')) as { ports: { controllerHttp: number; etcdClient: number; agentMetrics: number } };
  const metricsUrl: Record<string, string> = {
    etcd: `http://127.0.0.1:${state.ports.etcdClient}/metrics`, controller: `http://127.0.0.1:${state.ports.controllerHttp}/metrics`,
    agent: `http://127.0.0.1:${state.ports.agentMetrics}/metrics`,
  };
  const sample = async () => new Map(await Promise.all(COUNTERS.map(async ([who, p]) => [who, await scrape(metricsUrl[who]!, p)] as const)));
  const api = `http://127.0.0.1:${state.ports.controllerHttp}/api/v1`;
  console.log(`hvctl up: ${s(performance.now() - upStart)} (data dir ${dataDir})`);

  // test:///default has 16 CPUs and 3 GiB: raise the node's CPU overcommit so N 1-vCPU VMs fit.
  const node = (JSON.parse(hvctl(['nodes', '-o', 'json'])) as { items: { metadata: { name: string }; spec: Record<string, unknown>; status: { capacity: { cpus: number } } }[] }).items[0]!;
  const ratio = Math.max(4, Math.ceil(VMS / node.status.capacity.cpus) + 1);
  hvctl(['apply', '-f', '-'], 30_000, JSON.stringify({ apiVersion: 'hvs/v1', kind: 'Node', metadata: { name: node.metadata.name }, spec: { ...node.spec, overcommit: { cpu: ratio } } }));

  const list = (await (await fetch(`${api}/vms`)).json()) as { resourceVersion: string };
  const seen = new Map<string, Seen>();
  let running = 0;
  let allRunning!: () => void;
  const done = new Promise<void>((r) => (allRunning = r));
  const abort = new AbortController();
  const res = await fetch(`${api}/vms?watch=1&resourceVersion=${list.resourceVersion}`, { signal: abort.signal });
  const watching = (async () => {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      const now = performance.now();
      buf += dec.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const ev = JSON.parse(line) as { type: string; object?: { metadata: { name: string }; status?: { phase?: string } } };
        if (ev.type === 'ERROR') throw new Error(`watch failed: ${line}`);
        const name = ev.object?.metadata.name;
        const phase = ev.object?.status?.phase as keyof Seen | undefined;
        if (!name || !phase || !['Scheduled', 'Starting', 'Running'].includes(phase)) continue;
        const rec = seen.get(name) ?? {};
        if (rec[phase] === undefined) {
          rec[phase] = now;
          if (phase === 'Running' && ++running === VMS) allRunning();
        }
        seen.set(name, rec);
      }
    }
  })().catch((e: Error) => {
    if (e.name !== 'AbortError') throw e;
  });

  const file = path.join(root, 'burst.yaml');
  fs.writeFileSync(file, manifest());
  const before = await sample();
  const t0 = performance.now();
  hvctl(['apply', '-f', file], 120_000);
  const applied = performance.now() - t0;
  const deadline = setTimeout(() => {
    console.error(`only ${running}/${VMS} VMs Running after 5 min`);
    process.exitCode = 1;
    allRunning();
  }, 300_000);
  await done;
  clearTimeout(deadline);
  const total = performance.now() - t0;
  const after = await sample();
  abort.abort();
  await watching;

  const recs = [...seen.values()].filter((r) => r.Running !== undefined);
  const col = (f: (r: Seen) => number | undefined) => recs.map(f).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const rows: [string, number[]][] = [
    ['apply start -> Running', col((r) => r.Running! - t0)],
    ['apply start -> Scheduled', col((r) => (r.Scheduled !== undefined ? r.Scheduled - t0 : undefined))],
    ['Scheduled -> Starting', col((r) => (r.Scheduled !== undefined && r.Starting !== undefined ? r.Starting - r.Scheduled : undefined))],
    ['Starting -> Running', col((r) => (r.Starting !== undefined ? r.Running! - r.Starting : undefined))],
  ];
  console.log(`${VMS} VMs (1 vCPU, ${MEMORY}, one ${DISK} qcow2 disk), one hvctl apply: apply returned after ${s(applied)}, all Running after ${s(total)}`);
  for (const [what, v] of rows) {
    if (v.length === 0) continue;
    console.log(`${what.padEnd(26)} n=${String(v.length).padEnd(4)} p50 ${s(pct(v, 50))}  p90 ${s(pct(v, 90))}  p99 ${s(pct(v, 99))}  max ${s(v[v.length - 1]!)}`);
  }
  console.log(`during the burst (apply start -> all Running; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}):`);
  for (const [who] of COUNTERS) {
    const a = after.get(who)!;
    const b = before.get(who)!;
    const lines = [...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)] as const).filter(([, d]) => d !== 0)
      .map(([k, d]) => `${k.replace(/^hvs_(agent_process_)?|_total|_seconds_sum|_seconds_count|,?ok="true"/g, '')} ${Number.isInteger(d) ? d : d.toFixed(2)}`);
    console.log(`  ${who}: ${lines.join(', ') || 'no counters read'}`);
  }
}

main()
  .catch((e: Error) => {
    console.error(e.message);
    process.exitCode = 1;
  })
  .finally(() => {
    if (KEEP) {
      console.log(`kept: ${dataDir} (stop with HVS_CONFIG=${env.HVS_CONFIG} node ${HVCTL} down --data-dir ${dataDir})`);
      return;
    }
    spawnSync(process.execPath, [HVCTL, 'down', '--data-dir', dataDir], { env, timeout: 90_000, stdio: 'ignore' });
    fs.rmSync(root, { recursive: true, force: true });
  });
