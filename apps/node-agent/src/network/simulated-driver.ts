import type { NetworkDriver, Realised } from './driver';
import type { NetworkPlan } from './plan';

export const SIMULATED_MESSAGE = 'simulated: no host bridge or dnsmasq was created because this agent runs on libvirt\'s test driver (no guest really runs)';

/**
 * The agent on libvirt's test driver: nothing on the host changes; what would have been done is
 * kept (plans, ruleset) so tests can show it. Knob: `failNext(error, op)` makes the next
 * realise (default) or applyRuleset throw (faults from knobs, not scripted mocks).
 */
export class SimulatedNetworkDriver implements NetworkDriver {
  readonly simulated = true;
  readonly plans = new Map<string, NetworkPlan>();
  ruleset: string | undefined;
  private readonly failures = new Map<'realise' | 'applyRuleset', Error>();

  failNext(e: Error, op: 'realise' | 'applyRuleset' = 'realise'): void {
    this.failures.set(op, e);
  }

  async realise(plan: NetworkPlan): Promise<Realised> {
    this.throwIfFailing('realise');
    const changed = JSON.stringify(this.plans.get(plan.network)) !== JSON.stringify(plan);
    this.plans.set(plan.network, plan);
    return { bridge: plan.bridge, reason: 'Simulated', message: SIMULATED_MESSAGE, changed };
  }

  async present(): Promise<string[]> {
    return [...this.plans.keys()];
  }

  async remove(network: string): Promise<void> {
    this.plans.delete(network);
  }

  async applyRuleset(ruleset: string | undefined): Promise<void> {
    this.throwIfFailing('applyRuleset');
    this.ruleset = ruleset;
  }

  private throwIfFailing(op: 'realise' | 'applyRuleset'): void {
    const e = this.failures.get(op);
    this.failures.delete(op);
    if (e) throw e;
  }
}
