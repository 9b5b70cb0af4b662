import fc from 'fast-check';
import type { Node } from '../../src/kinds/node';
import type { VirtualMachine } from '../../src/kinds/vm';
import { ClusterSnapshot, placementOf, schedule, SCORERS, schedulingRequest, vmResources, VM_FILTERS, type Placement } from '../../src/scheduler';
import { node, vm } from './fixtures';

const APPS = ['db', 'web', 'cache'] as const;
const GPU = '10de:2204';

const nodeArb = (name: string): fc.Arbitrary<Node> =>
  fc
    .record({
      cpus: fc.integer({ min: 1, max: 16 }),
      memoryGiB: fc.integer({ min: 1, max: 64 }),
      cpuRatio: fc.option(fc.constantFrom(0.5, 1, 1.3, 2, 4, 8), { nil: undefined }),
      memRatio: fc.option(fc.constantFrom(0.5, 1, 1.25, 2), { nil: undefined }),
      ready: fc.constantFrom('True', 'True', 'True', 'Unknown', 'False') as fc.Arbitrary<'True' | 'Unknown' | 'False'>,
      cordoned: fc.constantFrom(false, false, false, true),
      zone: fc.constantFrom('a', 'b'),
      gpus: fc.integer({ min: 0, max: 2 }),
      maintenance: fc.constantFrom(false, false, false, true),
    })
    .map((o) =>
      node(name, {
        cpus: o.cpus,
        memoryGiB: o.memoryGiB,
        overcommit: { ...(o.cpuRatio ? { cpu: o.cpuRatio } : {}), ...(o.memRatio ? { memory: o.memRatio } : {}) },
        ready: o.ready,
        cordoned: o.cordoned,
        maintenance: o.maintenance,
        labels: { zone: o.zone },
        devices: Array.from({ length: o.gpus }, (_, i) => ({ pciAddress: `0000:0${i + 1}:00.0`, vendorDevice: GPU })),
      }),
    );

const nodesArb: fc.Arbitrary<Node[]> = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => nodeArb(`n${i}`))));

const vmArb = (name: string): fc.Arbitrary<VirtualMachine> =>
  fc
    .record({
      cores: fc.integer({ min: 1, max: 8 }),
      memMiB: fc.integer({ min: 256, max: 16384 }),
      app: fc.constantFrom(...APPS),
      anti: fc.boolean(),
      zone: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
      gpu: fc.constantFrom(0, 0, 0, 1),
      strategy: fc.constantFrom('spread', 'binpack') as fc.Arbitrary<'spread' | 'binpack'>,
      affinity: fc.option(fc.constantFrom(...APPS), { nil: undefined }),
    })
    .map((o) =>
      vm(name, {
        cores: o.cores,
        memory: `${o.memMiB}MiB`,
        labels: { app: o.app },
        placement: {
          strategy: o.strategy,
          ...(o.anti ? { antiAffinity: [{ labelSelector: { app: o.app } }] } : {}),
          ...(o.zone ? { nodeSelector: { zone: o.zone } } : {}),
          ...(o.affinity ? { affinity: [{ labelSelector: { app: o.affinity }, weight: 50 }] } : {}),
        },
        ...(o.gpu ? { hostdevs: [{ name: 'gpu', vendorDevice: GPU }] } : {}),
      }),
    );

const vmsArb: fc.Arbitrary<VirtualMachine[]> = fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => vmArb(`vm-${i}`))));

function limits(n: Node) {
  const cap = n.status!.capacity!;
  return { cpu: cap.cpus * (n.spec.overcommit?.cpu ?? 4), mem: cap.memoryBytes * (n.spec.overcommit?.memory ?? 1) };
}

/** Schedules every VM in turn, recording each success as a placement (what the binder does). */
function placeAll(nodes: Node[], vms: VirtualMachine[]): { placements: Placement[]; byVm: Map<string, VirtualMachine> } {
  const placements: Placement[] = [];
  const snapshot = new ClusterSnapshot(nodes);
  for (const v of vms) {
    const r = schedule(v, nodes, placements);
    // The batch path (one snapshot, add each decision) decides exactly like the one-shot call.
    expect(snapshot.schedule(v)).toEqual(r);
    // Oracle: the optimised loop (typed arrays, label index) agrees with a plain evaluation of
    // the documented pipeline, VM_FILTERS then SCORERS, over every node.
    const req = schedulingRequest(v, snapshot.placementOf(v.metadata.name));
    const reference = nodes
      .map((n) => snapshot.node(n.metadata.name)!)
      .filter((view) => view.unavailable === undefined && VM_FILTERS.every((f) => !f.applies(req) || f.passes(req, view)))
      .map((view) => ({ name: view.name, score: SCORERS.filter((sc) => sc.applies(req)).reduce((a, sc) => a + sc.score(req, view), 0) }));
    if (r.ok) {
      const chosen = reference.find((c) => c.name === r.node);
      expect(chosen).toBeDefined();
      expect(r.score).toBeCloseTo(chosen!.score, 2);
      for (const c of reference) {
        expect(c.score).toBeLessThanOrEqual(chosen!.score + 1e-9);
        if (Math.abs(c.score - chosen!.score) < 1e-12) expect(c.name >= r.node).toBe(true);
      }
    } else {
      expect(reference).toEqual([]);
      expect(r.reasons.filter((x) => x.reason === 'not chosen')).toEqual([]);
    }
    if (r.ok) {
      const pl = placementOf(v, r.node, r.hostdevs);
      placements.push(pl);
      snapshot.add(pl);
    }
  }
  return { placements, byVm: new Map(vms.map((v) => [v.metadata.name, v])) };
}

describe('scheduler properties', () => {
  it('never overcommits CPU or memory, never hands out a device twice, only uses available nodes matching the selector', () => {
    fc.assert(
      fc.property(nodesArb, vmsArb, (nodes, vms) => {
        const { placements, byVm } = placeAll(nodes, vms);
        for (const n of nodes) {
          const here = placements.filter((p) => p.node === n.metadata.name);
          if (here.length === 0) continue;
          const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
          expect(ready && !n.spec.cordoned && !n.spec.maintenance).toBe(true);
          const { cpu, mem } = limits(n);
          expect(here.reduce((s, p) => s + p.cpus, 0)).toBeLessThanOrEqual(cpu);
          expect(here.reduce((s, p) => s + p.memoryBytes, 0)).toBeLessThanOrEqual(mem);
          const devs = here.flatMap((p) => p.hostdevs ?? []);
          expect(new Set(devs).size).toBe(devs.length);
          for (const d of devs) expect(n.status?.devices?.some((x) => x.pciAddress === d)).toBe(true);
          for (const p of here) {
            const sel = byVm.get(p.vm)!.spec.placement?.nodeSelector ?? {};
            for (const [k, v] of Object.entries(sel)) expect(n.metadata.labels?.[k]).toBe(v);
            expect(vmResources(byVm.get(p.vm)!)).toEqual({ cpus: p.cpus, memoryBytes: p.memoryBytes });
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never puts two VMs on one node when either one requires anti-affinity to the other', () => {
    fc.assert(
      fc.property(nodesArb, vmsArb, (nodes, vms) => {
        const { placements } = placeAll(nodes, vms);
        const refuses = (a: Placement, b: Placement) =>
          (a.antiAffinity ?? []).some((sel) => Object.entries(sel).every(([k, v]) => b.labels[k] === v));
        for (const a of placements) {
          for (const b of placements) {
            if (a === b || a.node !== b.node) continue;
            expect(refuses(a, b)).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: same input, same output; the order of nodes and placements does not matter', () => {
    fc.assert(
      fc.property(
        nodesArb.chain((nodes) => fc.tuple(fc.constant(nodes), fc.shuffledSubarray(nodes, { minLength: nodes.length, maxLength: nodes.length }))),
        vmsArb,
        vmArb('candidate'),
        fc.infiniteStream(fc.nat()),
        ([nodes, shuffled], vms, candidate, keys) => {
          const { placements } = placeAll(nodes, vms);
          const order = placements.map((p) => ({ p, k: keys.next().value as number }));
          const shuffledPlacements = order.sort((a, b) => a.k - b.k).map((x) => x.p);
          const first = schedule(candidate, nodes, placements);
          expect(schedule(candidate, nodes, placements)).toEqual(first);
          expect(schedule(candidate, shuffled, shuffledPlacements)).toEqual(first);
        },
      ),
      { numRuns: 300 },
    );
  });
});
