import fc from 'fast-check';
import {
  controllerMayReschedule, DEFAULT_FENCE_AFTER_MS, DEFAULT_RESCHEDULE_MARGIN_MS, FENCE_ACTION_BUDGET_MS, FENCE_CHECK_INTERVAL_MS,
  fenceDeadline, fenceDecision, PEER_CHECK_TIMEOUT_MS, rescheduleAt, type PeerAnswer,
} from '../../src/ha';

const up = (name: string): PeerAnswer => ({ name, reachable: true, controllerReachable: true });
const lost = (name: string): PeerAnswer => ({ name, reachable: true, controllerReachable: false });
const silent = (name: string): PeerAnswer => ({ name, reachable: false, controllerReachable: false });
const decide = (ms: number, peers: PeerAnswer[]) => fenceDecision({ msSinceControllerContact: ms, fenceAfterMs: 15_000, peers });

describe('fenceDecision', () => {
  it('keeps while the controller was heard from within fenceAfter, whatever the peers say', () => {
    expect(decide(0, [])).toBe('keep');
    expect(decide(14_999, [silent('a'), silent('b')])).toBe('keep');
    expect(decide(14_999, [lost('a'), lost('b')])).toBe('keep');
  });

  it('never heard from the controller (-1) counts as forever', () => {
    expect(decide(-1, [up('a')])).toBe('fence');
  });

  it('fences at fenceAfter when a majority of the peers that answered still reach the controller', () => {
    expect(decide(15_000, [up('a'), up('b')])).toBe('fence');
    expect(decide(15_000, [up('a'), up('b'), lost('c')])).toBe('fence');
    expect(decide(60_000, [up('a'), silent('b'), silent('c')])).toBe('fence');
  });

  it('fences when it can reach no peer at all (isolated), and when it has no peers', () => {
    expect(decide(15_000, [silent('a'), silent('b')])).toBe('fence');
    expect(decide(15_000, [])).toBe('fence');
  });

  it('is a controller outage (nobody fences) when the peers lost the controller too', () => {
    expect(decide(15_000, [lost('a'), lost('b')])).toBe('controller-outage');
    expect(decide(15_000, [lost('a')])).toBe('controller-outage');
    expect(decide(15_000, [lost('a'), lost('b'), up('c')])).toBe('controller-outage');
    expect(decide(15_000, [lost('a'), lost('b'), silent('c')])).toBe('controller-outage');
  });

  it('a split without a majority for "outage" fences (a minority cut off together cannot outvote the cluster)', () => {
    expect(decide(15_000, [lost('a'), up('b')])).toBe('fence');
    expect(decide(15_000, [lost('a'), silent('b')])).toBe('fence');
    expect(decide(15_000, [lost('a'), silent('b'), silent('c'), up('d')])).toBe('fence');
  });

  it('properties: keep iff contact is recent; outage iff a strict majority of all peers answered "lost"', () => {
    const peer = fc.record({ name: fc.constant('p'), reachable: fc.boolean(), controllerReachable: fc.boolean() });
    fc.assert(fc.property(fc.integer({ min: -1, max: 100_000 }), fc.integer({ min: 1, max: 60_000 }), fc.array(peer, { maxLength: 9 }), (ms, fenceAfterMs, peers) => {
      const d = fenceDecision({ msSinceControllerContact: ms, fenceAfterMs, peers });
      const recent = ms >= 0 && ms < fenceAfterMs;
      const lostCount = peers.filter((p) => p.reachable && !p.controllerReachable).length;
      const answeredUp = peers.filter((p) => p.reachable && p.controllerReachable).length;
      const answered = peers.filter((p) => p.reachable).length;
      if (recent) return d === 'keep';
      if (d === 'keep') return false;
      // The brief's two "fence" cases always fence.
      if (answered === 0 || answeredUp * 2 > answered) expect(d).toBe('fence');
      return d === (lostCount * 2 > peers.length ? 'controller-outage' : 'fence');
    }));
  });
});

describe('rescheduleAt / fenceDeadline / controllerMayReschedule', () => {
  it('reschedule = last heartbeat + fenceAfter + margin (defaults 15 s + 5 s)', () => {
    expect(rescheduleAt(1_000, DEFAULT_FENCE_AFTER_MS, DEFAULT_RESCHEDULE_MARGIN_MS)).toBe(21_000);
    expect(fenceDeadline(1_000, 15_000)).toBe(1_000 + 15_000 + FENCE_ACTION_BUDGET_MS);
    expect(FENCE_ACTION_BUDGET_MS).toBeLessThan(DEFAULT_RESCHEDULE_MARGIN_MS);
  });

  it('the controller restarts only while at least half of the lost node\'s peers are Ready', () => {
    expect(controllerMayReschedule(1, 1)).toBe(true);
    expect(controllerMayReschedule(1, 2)).toBe(true);
    expect(controllerMayReschedule(0, 2)).toBe(false);
    expect(controllerMayReschedule(1, 3)).toBe(false);
    expect(controllerMayReschedule(2, 4)).toBe(true);
    expect(controllerMayReschedule(0, 0)).toBe(true);
  });

  it('property: when the controller may reschedule, the lost agent cannot have decided "controller outage"', () => {
    // Every peer the controller sees Ready answers "controller reachable" (if the lost agent reaches it at all).
    fc.assert(fc.property(fc.array(fc.record({ ready: fc.boolean(), reachable: fc.boolean(), saysLost: fc.boolean() }), { maxLength: 9 }), (peers) => {
      const answers = peers.map((p, i) => ({ name: `p${i}`, reachable: p.reachable, controllerReachable: p.ready || !p.saysLost }));
      const may = controllerMayReschedule(peers.filter((p) => p.ready).length, peers.length);
      const d = fenceDecision({ msSinceControllerContact: 20_000, fenceAfterMs: 15_000, peers: answers });
      return !may || d === 'fence';
    }));
  });
});

/**
 * The safety invariant (DESIGN §3: a VM never runs on two hosts), on a model of both sides with
 * one shared time axis: the controller's lease renewal at h; the agent gets the reply `latency`
 * later (its last contact); its loop ticks every FENCE_CHECK_INTERVAL_MS at any phase, and the
 * first tick with fenceDecision = fence is followed by a PeerCheck round and the destroy calls.
 * etcd expires the lease TTL after h (or later), and the controller sees it some time after.
 */
function simulate(p: { h: number; latency: number; phase: number; peerMs: number; destroyMs: number; ttl: number; etcdLate: number; watchLag: number; margin: number }) {
  const fenceAfterMs = DEFAULT_FENCE_AFTER_MS;
  const contact = p.h + p.latency;
  let tick = contact + p.phase;
  while (fenceDecision({ msSinceControllerContact: tick - contact, fenceAfterMs, peers: [silent('b'), silent('c')] }) !== 'fence') tick += FENCE_CHECK_INTERVAL_MS;
  const fencedAt = tick + p.peerMs + p.destroyMs;
  const seenExpired = p.h + p.ttl + p.etcdLate + p.watchLag;
  const restartAt = rescheduleAt(seenExpired - p.ttl, fenceAfterMs, p.margin);
  return { fencedAt, restartAt };
}

describe('safety invariant: the controller never restarts before the partitioned agent fenced', () => {
  const world = {
    h: fc.integer({ min: 0, max: 1_000_000 }),
    latency: fc.integer({ min: 0, max: 1_000 }),
    phase: fc.integer({ min: 0, max: FENCE_CHECK_INTERVAL_MS - 1 }),
    peerMs: fc.integer({ min: 0, max: PEER_CHECK_TIMEOUT_MS }),
    destroyMs: fc.integer({ min: 0, max: 999 }),
    ttl: fc.integer({ min: 2_000, max: 30_000 }),
    etcdLate: fc.integer({ min: 0, max: 5_000 }),
    watchLag: fc.integer({ min: 0, max: 5_000 }),
  };

  it('holds with the default 5 s margin for any tick phase, reply latency up to 1 s, and late expiry', () => {
    fc.assert(fc.property(fc.record({ ...world, margin: fc.constant(DEFAULT_RESCHEDULE_MARGIN_MS) }), (p) => {
      const { fencedAt, restartAt } = simulate(p);
      return restartAt >= fencedAt;
    }), { numRuns: 2_000 });
  });

  it('is not vacuous: without a margin the model finds a double run', () => {
    const r = fc.check(fc.property(fc.record({ ...world, margin: fc.constant(0) }), (p) => {
      const { fencedAt, restartAt } = simulate(p);
      return restartAt >= fencedAt;
    }));
    expect(r.failed).toBe(true);
  });
});
