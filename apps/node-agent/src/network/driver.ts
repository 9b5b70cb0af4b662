import type { NetworkPlan } from './plan';

/** What realising a plan came to (NetworkObservation.reason/message when it did not throw). */
export interface Realised {
  bridge: string;
  /** Realised (the host matches the plan) or Simulated (nothing was created: libvirt's test driver). */
  reason: 'Realised' | 'Simulated';
  message: string;
  /** The host changed (something was created, rewritten or restarted), for the log. */
  changed: boolean;
}

/**
 * The port between the network reconciler and a host (our own interface; Nomad's driver shape):
 * HostNetworkDriver changes the real host with ip, bridge, dnsmasq and nft; SimulatedNetworkDriver
 * only records (the agent on libvirt's test driver). Every method is idempotent and touches only
 * what carries our mark (alias `hvs:<network>`, files under `<stateDir>/networks/`, table
 * `inet hvs-net`). Errors are HvsErrors with an HVS-NET-* code (errors.ts).
 */
export interface NetworkDriver {
  readonly simulated: boolean;
  /** Makes the host match `plan` (creating, correcting, reloading what differs). */
  realise(plan: NetworkPlan): Promise<Realised>;
  /** The Networks that have anything of ours on this host (devices by alias, state dirs). */
  present(): Promise<string[]>;
  /** Removes everything of `network` that is ours (dnsmasq by its pid file, vxlan, bridge, its dir). */
  remove(network: string): Promise<void>;
  /** Replaces the table `inet hvs-net` with `ruleset` in one transaction; undefined deletes it. */
  applyRuleset(ruleset: string | undefined): Promise<void>;
}
