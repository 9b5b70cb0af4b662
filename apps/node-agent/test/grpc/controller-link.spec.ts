import { status } from '@grpc/grpc-js';
import { FakeClock } from '@hvs/reconcile';
import type { v1 } from '@hvs/proto';
import { ControllerLink, type NodeServiceCalls } from '../../src/heartbeat/controller-link';

/** A controller that can be switched off, counting calls (behind our own NodeServiceCalls port). */
class FakeController implements NodeServiceCalls {
  up = true;
  forgetNode = false;
  readonly calls: string[] = [];
  async registerNode(req: v1.RegisterNodeRequest): Promise<v1.RegisterNodeResponse> {
    this.calls.push(`register:${req.name}@${req.address}`);
    if (!this.up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: status.UNAVAILABLE });
    return { heartbeatIntervalMs: 2000, leaseTtlMs: 8000, fenceAfterMs: 15000 };
  }
  async heartbeat(req: v1.NodeHeartbeatRequest): Promise<v1.NodeHeartbeatResponse> {
    this.calls.push(`beat:${req.observedGeneration}`);
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

  it('backs off while the controller is down, tracks last contact, and recovers', async () => {
    const clock = new FakeClock(0);
    const ctl = new FakeController();
    const link = new ControllerLink({ nodeName: 'node-1', advertise: 'a:1', intervalMs: 2000, clock, calls: ctl, facts, observedGeneration: () => 1 });
    expect(link.lastContactMs()).toBe(-1);
    link.start();
    await clock.advance(2000);
    ctl.up = false;
    ctl.calls.length = 0;
    await clock.advance(1 + 1000 + 2000 + 4000 + 8000);
    expect(ctl.calls).toHaveLength(4); // next beat at 4 s fails, then retries after 1 s, 2 s, 4 s (next one after 8 s)
    expect(link.reachable()).toBe(false);
    expect(link.lastContactMs()).toBe(15_001);
    expect(link.error).toContain('ECONNREFUSED');
    ctl.up = true;
    await clock.advance(16_000);
    expect(link.reachable()).toBe(true);
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
