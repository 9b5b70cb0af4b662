import { status } from '@grpc/grpc-js';
import { FakeClock } from '@hvs/reconcile';
import type { v1 } from '@hvs/proto';
import { ControllerLink, REACHABLE_WINDOW_MS, RETRY_MAX_MS, type NodeServiceCalls } from '../../src/heartbeat/controller-link';

/** A controller that can be switched off, counting calls (behind our own NodeServiceCalls port). */
class FakeController implements NodeServiceCalls {
  up = true;
  /** What RegisterNode answers as the heartbeat interval. */
  intervalMs = 2000;
  readonly at: number[] = [];
  reconnects = 0;
  constructor(private readonly clock?: FakeClock) {}
  reconnect(): void {
    this.reconnects++;
  }
  forgetNode = false;
  readonly calls: string[] = [];
  async registerNode(req: v1.RegisterNodeRequest): Promise<v1.RegisterNodeResponse> {
    this.calls.push(`register:${req.name}@${req.address}`);
    if (!this.up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: status.UNAVAILABLE });
    return { heartbeatIntervalMs: this.intervalMs, leaseTtlMs: 8000, fenceAfterMs: 15000 };
  }
  async heartbeat(req: v1.NodeHeartbeatRequest): Promise<v1.NodeHeartbeatResponse> {
    this.calls.push(`beat:${req.observedGeneration}`);
    if (this.clock) this.at.push(this.clock.now());
    if (!this.up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: status.UNAVAILABLE });
    if (this.forgetNode) {
      this.forgetNode = false;
      throw Object.assign(new Error('node not found'), { code: status.NOT_FOUND });
    }
    return { leaseTtlMs: 8000, assignedGeneration: 4 };
  }
  close(): void {}
}

const facts = async () => ({ hostname: 'h' }) as v1.HostFacts;

describe('ControllerLink (push heartbeats, fake clock)', () => {
  it('registers, then heartbeats every 2 s with the accepted generation', async () => {
    const clock = new FakeClock(0);
    const ctl = new FakeController();
    const link = new ControllerLink({ nodeName: 'node-1', advertise: '10.0.0.5:7450', intervalMs: 2000, clock, calls: ctl, facts, observedGeneration: () => 3 });
    link.start();
    await clock.advance(6000);
    expect(ctl.calls).toEqual(['register:node-1@10.0.0.5:7450', 'beat:3', 'beat:3', 'beat:3']);
    expect(link.reachable()).toBe(true);
    expect(link.assignedGeneration).toBe(4);
    await link.stop();
  });

  it('backs off while the controller is down (1 s, 2 s, then every RETRY_MAX_MS), tracks last contact, and recovers', async () => {
    const clock = new FakeClock(0);
    const ctl = new FakeController(clock);
    const link = new ControllerLink({ nodeName: 'node-1', advertise: 'a:1', intervalMs: 2000, clock, calls: ctl, facts, observedGeneration: () => 1 });
    expect(link.lastContactMs()).toBe(-1);
    link.start();
    await clock.advance(2000);
    ctl.up = false;
    ctl.at.length = 0;
    await clock.advance(1 + 60_000);
    // Beat at 4 s fails; retries after 1 s, 2 s, then never more than RETRY_MAX_MS apart.
    const gaps = ctl.at.slice(1).map((t, i) => t - ctl.at[i]);
    expect(gaps.slice(0, 3)).toEqual([1000, 2000, RETRY_MAX_MS]);
    expect(Math.max(...gaps)).toBe(RETRY_MAX_MS);
    expect(RETRY_MAX_MS).toBeLessThanOrEqual(4000); // half the default lease TTL
    expect(link.reachable()).toBe(false);
    expect(link.lastContactMs()).toBe(60_001);
    expect(link.error).toContain('ECONNREFUSED');
    expect(ctl.reconnects).toBe(ctl.at.length); // a fresh connection after every UNAVAILABLE
    ctl.up = true;
    const back = clock.now();
    await clock.advance(RETRY_MAX_MS);
    expect(link.reachable()).toBe(true);
    expect(link.lastContactMs()).toBeLessThan(clock.now() - back + 1);
    await link.stop();
  });

  it("adopts the controller's heartbeat interval once registered, and keeps a 6 s reachable window", async () => {
    const clock = new FakeClock(0);
    const ctl = new FakeController(clock);
    ctl.intervalMs = 1000;
    const link = new ControllerLink({ nodeName: 'node-1', advertise: 'a:1', intervalMs: 2000, clock, calls: ctl, facts, observedGeneration: () => 1 });
    expect(link.heartbeatIntervalMs).toBe(2000);
    link.start();
    await clock.advance(5000);
    expect(link.heartbeatIntervalMs).toBe(1000);
    expect(ctl.at).toEqual([1000, 2000, 3000, 4000, 5000]);
    ctl.up = false;
    await clock.advance(REACHABLE_WINDOW_MS);
    expect(link.lastContactMs()).toBe(REACHABLE_WINDOW_MS);
    expect(link.reachable()).toBe(true);
    await clock.advance(1);
    expect(link.reachable()).toBe(false);
    await link.stop();
  });

  it('ignores an interval out of bounds (an old controller answering 0)', async () => {
    const clock = new FakeClock(0);
    const ctl = new FakeController(clock);
    ctl.intervalMs = 0;
    const link = new ControllerLink({ nodeName: 'node-1', advertise: 'a:1', intervalMs: 2000, clock, calls: ctl, facts, observedGeneration: () => 1 });
    link.start();
    await clock.advance(4000);
    expect(link.heartbeatIntervalMs).toBe(2000);
    expect(ctl.at).toEqual([2000, 4000]);
    await link.stop();
  });

  it('registers again when the controller no longer knows the node', async () => {
    const clock = new FakeClock(0);
    const ctl = new FakeController();
    const link = new ControllerLink({ nodeName: 'node-1', advertise: 'a:1', intervalMs: 2000, clock, calls: ctl, facts, observedGeneration: () => 1 });
    link.start();
    await clock.advance(2000);
    ctl.forgetNode = true;
    await clock.advance(2000 + 1000);
    expect(ctl.calls.filter((c) => c.startsWith('register'))).toHaveLength(2);
    await link.stop();
  });
});
