/**
 * Pure scheduler benchmark (not a test): places N VMs onto M simulated nodes one decision at
 * a time, as the VM reconciler does in a batch (one ClusterSnapshot, each decision added to
 * it), and prints decisions/s and decision latency percentiles. A second phase measures the
 * one-shot `schedule(vm, nodes, placements)` call, which re-indexes everything per call.
 *
 * Run: bash bench/scheduler/run-pure.sh [--nodes 5000] [--vms 10000] [--seed 1] [--oneshot 500]
 * Inputs are generated from a seeded PRNG, so every run sees the same cluster.
 */
import { ClusterSnapshot, placementOf, schedule, type Node, type Placement, type VirtualMachine } from '@hvs/domain';

const GiB = 1024 ** 3;
const GPU = '10de:2204';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a whole number, got ${process.argv[i + 1]}`);
  return v;
}

/** mulberry32: small, fast, seeded; the same seed gives the same cluster. */
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

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

function makeNodes(rnd: () => number, count: number): Node[] {
  return Array.from({ length: count }, (_, i): Node => {
    const gpu = rnd() < 0.1;
    const r = rnd();
    return {
      apiVersion: 'hvs/v1',
      kind: 'Node',
      metadata: { name: `node-${String(i).padStart(5, '0')}`, labels: { zone: pick(rnd, ['z1', 'z2', 'z3', 'z4']), ...(gpu ? { gpu: 'true' } : {}) } },
      spec: { ...(r < 0.02 ? { cordoned: true } : {}), ...(rnd() < 0.2 ? { overcommit: { cpu: 8, memory: 1.2 } } : {}) },
      status: {
        capacity: { cpus: pick(rnd, [32, 64, 96, 128]), memoryBytes: pick(rnd, [128, 256, 512, 768]) * GiB },
        conditions: [{ type: 'Ready', status: r > 0.99 ? 'Unknown' : 'True' }],
        pools: rnd() < 0.5 ? [{ name: 'default' }, { name: 'fast' }] : [{ name: 'default' }],
        ...(gpu ? { devices: Array.from({ length: 2 + Math.floor(rnd() * 3) }, (_, d) => ({ pciAddress: `0000:${String(d + 1).padStart(2, '0')}:00.0`, vendorDevice: GPU })) } : {}),
      },
    };
  });
}

function makeVms(rnd: () => number, count: number): VirtualMachine[] {
  return Array.from({ length: count }, (_, i): VirtualMachine => {
    const app = `app-${Math.floor(rnd() * 200)}`;
    const gpu = rnd() < 0.05;
    return {
      apiVersion: 'hvs/v1',
      kind: 'VirtualMachine',
      metadata: { name: `vm-${i}`, labels: { app } },
      spec: {
        cpu: { cores: pick(rnd, [1, 2, 2, 4, 4, 8, 16]) },
        memory: { size: `${pick(rnd, [1, 2, 4, 4, 8, 16, 32, 64])}GiB` },
        disks: [{ name: 'root', ...(rnd() < 0.1 ? { pool: 'fast' } : {}) }],
        networks: [],
        runState: 'Running',
        placement: {
          ...(rnd() < 0.2 ? { strategy: 'binpack' as const } : {}),
          ...(rnd() < 0.2 ? { antiAffinity: [{ labelSelector: { app } }] } : {}),
          ...(rnd() < 0.1 ? { affinity: [{ labelSelector: { app: `app-${Math.floor(rnd() * 200)}` }, weight: 50 }] } : {}),
          ...(gpu ? { nodeSelector: { gpu: 'true' } } : rnd() < 0.1 ? { nodeSelector: { zone: pick(rnd, ['z1', 'z2', 'z3', 'z4']) } } : {}),
        },
        ...(gpu ? { devices: { hostdevs: [{ name: 'gpu', vendorDevice: GPU }] } } : {}),
      },
    };
  });
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function us(n: number): string {
  return `${n.toFixed(1)} µs`;
}

function batch(nodes: Node[], vms: VirtualMachine[]) {
  const snapshot = new ClusterSnapshot(nodes);
  const lat = new Float64Array(vms.length);
  const placements: Placement[] = [];
  let unschedulable = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < vms.length; i++) {
    const s = process.hrtime.bigint();
    const r = snapshot.schedule(vms[i]);
    if (r.ok) {
      const p = placementOf(vms[i], r.node, r.hostdevs);
      snapshot.add(p);
      placements.push(p);
    } else {
      unschedulable++;
    }
    lat[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { lat: lat.sort(), totalMs, placements, unschedulable };
}

function main(): void {
  const nodeCount = arg('nodes', 5000);
  const vmCount = arg('vms', 10000);
  const seed = arg('seed', 1);
  const oneshot = arg('oneshot', 500);
  const rnd = prng(seed);
  const nodes = makeNodes(rnd, nodeCount);
  const vms = makeVms(rnd, vmCount);

  // Warm-up on a throwaway snapshot so the figures describe steady state, not the JIT.
  batch(nodes, vms.slice(0, Math.min(500, vms.length)));

  const b = batch(nodes, vms);
  console.log(`scheduler/pure: ${vmCount} VMs onto ${nodeCount} nodes (seed ${seed}), node ${process.version}`);
  console.log(`  batch (one ClusterSnapshot, add per decision):`);
  console.log(`    placed ${b.placements.length}, unschedulable ${b.unschedulable}, total ${b.totalMs.toFixed(0)} ms`);
  console.log(`    ${Math.round(vmCount / (b.totalMs / 1000))} decisions/s; latency p50 ${us(percentile(b.lat, 50))}, p99 ${us(percentile(b.lat, 99))}, max ${us(b.lat[b.lat.length - 1])}`);

  if (oneshot > 0) {
    // schedule(vm, nodes, placements) with the cluster already full of the batch's placements:
    // every call indexes all nodes and placements again (O(nodes + placements)).
    const sample = vms.slice(0, Math.min(oneshot, vms.length)).map((v) => ({ ...v, metadata: { ...v.metadata, name: `${v.metadata.name}-x` } }));
    const lat = new Float64Array(sample.length);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < sample.length; i++) {
      const s = process.hrtime.bigint();
      schedule(sample[i], nodes, b.placements);
      lat[i] = Number(process.hrtime.bigint() - s) / 1000;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    lat.sort();
    console.log(`  one-shot schedule() against ${b.placements.length} placements, ${sample.length} calls:`);
    console.log(`    ${Math.round(sample.length / (ms / 1000))} decisions/s; latency p50 ${us(percentile(lat, 50))}, p99 ${us(percentile(lat, 99))}`);
  }
}

main();
