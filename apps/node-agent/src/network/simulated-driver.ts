import type { NetworkDriver, Realised } from './driver';
import type { NetworkPlan } from './plan';

export const SIMULATED_MESSAGE = 'simulated: no host bridge or dnsmasq was created because this agent runs on libvirt\'s test driver (no guest really runs)';

/**
 * The agent on libvirt's test driver: nothing on the host changes; what would have been done is
 * kept (plans, ruleset) so tests and `describe` can show it. Knob: `failNext(code)` makes the
 * next realise throw (faults from knobs, not scripted mocks).
 */
export class SimulatedNetworkDriver implements NetworkDriver {
  readonly simulated = true;
  readonly plans = new Map<string, NetworkPlan>();
  ruleset: string | undefined;
  private failure: Error | undefined;

  failNext(e: Error): void {
    this.failure = e;
  }

  async realise(plan: NetworkPlan): Promise<Realised> {
    const e = this.failure;
    this.failure = undefined;
    if (e) throw e;
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
    this.ruleset = ruleset;
  }
}
