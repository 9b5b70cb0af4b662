/**
 * Realises every Network this node is assigned and removes what is no longer assigned, then
 * reports each through the observed state (Network status.nodes[]). A pass re-reads the
 * assignment (level-triggered): it runs after each accepted Assign, on the agent's resync timer
 * and at start (where realise() adopts what exists: a running dnsmasq with an unchanged config is
 * left alone). Passes never overlap; a request during a pass runs one more pass after it.
 */
import { API_VERSION, HvsError, type NetworkObservation } from '@hvs/domain';
import type { Logger } from 'pino';
import type { ObservedState } from '../observed/observed-state';
import type { AssignmentStore, NetworkBinding } from '../state/assignment-store';
import type { NetworkDriver } from './driver';
import { REASON_OF_CODE } from './errors';
import { bridgeName } from './naming';
import { renderNftRuleset } from './nft-ruleset';
import { planNetwork, type NetworkPlan } from './plan';

export interface NetworkReconcilerOptions {
  driver: NetworkDriver;
  store: AssignmentStore;
  observed: ObservedState;
  stateDir: string;
  log: Pick<Logger, 'info' | 'warn'>;
  /** A Network became ready here (VMs waiting on it are looked at again). */
  onReady: () => void;
}

export class NetworkReconciler {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly o: NetworkReconcilerOptions) {}

  /** Resolves when no pass runs or waits (the agent's stop()). */
  async settled(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running)?.catch(() => undefined);
  }

  /** Whether `network` is realised and ready on this node. */
  ready(network: string): boolean {
    return this.o.observed.network(network)?.ready === true;
  }

  /** Runs a pass; while one runs, one more is queued (every caller's request is covered by a pass that starts after it). */
  reconcile(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running.catch(() => undefined).then(() => {
      this.queued = undefined;
      return this.reconcile();
    });
    return this.queued;
  }

  private async pass(): Promise<void> {
    const desired = this.desired();
    const results: NetworkObservation[] = [];
    const plans: NetworkPlan[] = [];
    for (const [name, binding] of desired) {
      if (binding === undefined) {
        results.push({ network: name, bridge: '', ready: false, reason: 'NoBinding', message: 'waiting for the controller to send this Network with its binding' });
        continue;
      }
      const { plan, observation } = await this.realise(binding);
      // Rules only for what is realised: a refused Network's bridge name may be someone else's device.
      if (observation.ready && plan) plans.push(plan);
      results.push(observation);
    }
    try {
      await this.o.driver.applyRuleset(renderNftRuleset(plans));
    } catch (e) {
      // Without its table a nat Network has no masquerade nor port forwards.
      for (const r of results) if (plans.find((p) => p.network === r.network)?.mode === 'nat') Object.assign(r, failed(e, 'FirewallFailed'), { reason: 'FirewallFailed' });
    }
    let becameReady = false;
    for (const r of results) {
      becameReady ||= r.ready && !this.ready(r.network);
      this.o.observed.setNetwork(r);
    }
    for (const name of await this.o.driver.present()) {
      if (desired.has(name)) continue;
      try {
        await this.o.driver.remove(name);
        this.o.log.info({ network: name }, `network ${name} is no longer assigned here: removed`);
        this.o.observed.removeNetwork(name, bridgeName(name));
      } catch (e) {
        this.o.log.warn({ network: name, code: (e as HvsError).code }, `removing network ${name} failed: ${String(e)}`);
      }
    }
    if (becameReady) this.o.onReady();
  }

  private async realise(binding: NetworkBinding): Promise<{ plan?: NetworkPlan; observation: NetworkObservation }> {
    const name = binding.network.metadata.name;
    let plan: NetworkPlan | undefined;
    try {
      plan = planNetwork(binding, this.o.stateDir);
      const r = await this.o.driver.realise(plan);
      if (r.changed) this.o.log.info({ network: name, bridge: r.bridge }, `network ${name}: ${r.message}`);
      return { plan, observation: { network: name, bridge: r.bridge, ready: true, reason: r.reason, message: r.message } };
    } catch (e) {
      this.o.log.warn({ network: name, code: (e as HvsError).code }, `network ${name} not realised: ${String(e)}`);
      return { plan, observation: { network: name, bridge: plan?.bridge ?? '', ...failed(e, 'Failed') } };
    }
  }

  /**
   * Network name -> its binding. A Network in the assignment without a binding (a state file of
   * an older agent) is realised only when it names a host bridge; otherwise it waits (undefined).
   */
  private desired(): Map<string, NetworkBinding | undefined> {
    const out = new Map<string, NetworkBinding | undefined>(Object.entries(this.o.store.networkBindings));
    for (const [name, r] of Object.entries(this.o.store.networks)) {
      if (out.has(name)) continue;
      out.set(name, r.bridge && r.bridge !== bridgeName(name)
        ? { network: { apiVersion: API_VERSION, kind: 'Network', metadata: { name }, spec: { mode: 'bridge', bridge: r.bridge } } as NetworkBinding['network'], reservations: [], vtepLocal: '', vtepPeers: [] }
        : undefined);
    }
    return out;
  }
}

function failed(e: unknown, fallback: string): Pick<NetworkObservation, 'ready' | 'reason' | 'message' | 'error'> {
  if (e instanceof HvsError) return { ready: false, reason: REASON_OF_CODE[e.code] ?? fallback, message: e.message, error: e.problems[0] };
  return { ready: false, reason: fallback, message: e instanceof Error ? e.message : String(e) };
}
