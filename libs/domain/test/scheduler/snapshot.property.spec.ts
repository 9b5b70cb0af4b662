import fc from 'fast-check';
import type { Node } from '../../src/kinds/node';
import { ClusterSnapshot, placementOf, schedule, type Placement } from '../../src/scheduler';
import { node, vm } from './fixtures';

type Event =
  | { t: 'setNode'; name: string; cpus: number; memoryGiB: number; cordoned: boolean; ready: boolean; zone: string }
  | { t: 'removeNode'; name: string }
  | { t: 'schedule'; name: string; cores: number; memGiB: number; app: string; anti: boolean; zone?: string }
  | { t: 'removeVm'; name: string };

const NAMES = ['n0', 'n1', 'n2', 'n3'];
const VMS = Array.from({ length: 12 }, (_, i) => `vm-${i}`);

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({
    t: fc.constant('setNode' as const), name: fc.constantFrom(...NAMES), cpus: fc.integer({ min: 1, max: 8 }),
    memoryGiB: fc.integer({ min: 1, max: 32 }), cordoned: fc.boolean(), ready: fc.boolean(), zone: fc.constantFrom('a', 'b'),
  }),
  fc.record({ t: fc.constant('removeNode' as const), name: fc.constantFrom(...NAMES) }),
  fc.record({
    t: fc.constant('schedule' as const), name: fc.constantFrom(...VMS), cores: fc.integer({ min: 1, max: 8 }), memGiB: fc.integer({ min: 1, max: 16 }),
    app: fc.constantFrom('db', 'web'), anti: fc.boolean(), zone: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
  }),
  fc.record({ t: fc.constant('removeVm' as const), name: fc.constantFrom(...VMS) }),
);

/**
 * A snapshot kept current by events (as a controller's cache would be) decides exactly like
 * a fresh one-shot schedule() over the same nodes and placements, after any event sequence.
 */
describe('ClusterSnapshot as a long-lived cache', () => {
  it('matches a fresh schedule() after any interleaving of node and placement events', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        const snapshot = new ClusterSnapshot();
        const nodes = new Map<string, Node>();
        const placements = new Map<string, Placement>();
        for (const e of events) {
          if (e.t === 'setNode') {
            const n = node(e.name, { cpus: e.cpus, memoryGiB: e.memoryGiB, cordoned: e.cordoned, ready: e.ready ? 'True' : 'Unknown', labels: { zone: e.zone } });
            nodes.set(e.name, n);
            snapshot.setNode(n);
          } else if (e.t === 'removeNode') {
            expect(snapshot.removeNode(e.name)).toBe(nodes.delete(e.name));
          } else if (e.t === 'removeVm') {
            expect(snapshot.remove(e.name)).toBe(placements.delete(e.name));
          } else {
            const v = vm(e.name, {
              cores: e.cores, memory: `${e.memGiB}GiB`, labels: { app: e.app },
              placement: { ...(e.anti ? { antiAffinity: [{ labelSelector: { app: e.app } }] } : {}), ...(e.zone ? { nodeSelector: { zone: e.zone } } : {}) },
            });
            const r = snapshot.schedule(v);
            expect(r).toEqual(schedule(v, [...nodes.values()], [...placements.values()]));
            if (r.ok) {
              const p = placementOf(v, r.node, r.hostdevs);
              snapshot.add(p);
              placements.set(p.vm, p);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
