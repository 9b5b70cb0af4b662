/**
 * Network status from the agents' reports (leader only): status.nodes[] says, per node, which
 * bridge backs the Network and whether it is ready (reason, message); an entry goes when that
 * node's agent reports the Network removed. status.addresses counts the reservations against
 * the range's capacity. Level-triggered per Network name: re-read the cached Network, merge the
 * latest report of each node into what status says, write with compare-and-swap only when it
 * changed (a conflict re-reads from the store; the runner retries errors with backoff).
 */
import type { Network, NetworkStatus } from '@hvs/domain';
import { done, ReconcilerRunner, type Clock, type ReconcileResult, type RunnerHooks } from '@hvs/reconcile';
import type { agentv1 } from '@hvs/proto';
import { capacityOf, rangeOf } from '../ipam/ipv4';
import type { ReservationCache } from '../ipam/reservation-cache';
import type { Informer } from '../runtime/informer';
import { isConflict } from '../store/errors';
import { deepEqual } from '../store/objects';
import type { ObjectStore } from '../store/types';

type NodeEntry = NonNullable<NetworkStatus['nodes']>[number];

export interface NetworkStatusSyncOptions {
  store: ObjectStore;
  networks: Informer<Network>;
  reservations?: ReservationCache;
  clock?: Clock;
  hooks?: RunnerHooks<string>;
}

export class NetworkStatusSync {
  readonly runner: ReconcilerRunner<string>;
  /** network -> node -> latest report. */
  private readonly reports = new Map<string, Map<string, agentv1.NetworkObserved>>();
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly o: NetworkStatusSyncOptions) {
    this.runner = new ReconcilerRunner((n) => this.reconcile(n), { name: 'network-status', workers: 2, clock: o.clock, hooks: o.hooks });
  }

  start(): void {
    if (this.o.reservations) {
      this.unsubscribe.push(this.o.reservations.subscribe((changed) => {
        for (const n of new Set(changed.map((r) => r.network))) this.runner.enqueue(n);
      }));
    }
    this.unsubscribe.push(this.o.networks.subscribe((e) => {
      if (e.type !== 'DELETED' && !deepEqual(e.old?.spec, e.object.spec)) this.runner.enqueue(e.object.metadata.name);
    }));
    for (const n of this.o.networks.list()) this.runner.enqueue(n.metadata.name);
    this.runner.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.runner.stop({ graceMs: 5_000 });
  }

  /** The dispatcher's onNetworkObserved. */
  observe(node: string, observed: agentv1.NetworkObserved): void {
    let byNode = this.reports.get(observed.network);
    if (!byNode) this.reports.set(observed.network, (byNode = new Map()));
    byNode.set(node, observed);
    this.runner.enqueue(observed.network);
  }

  /** Whether `node` reported `network` ready (the migration pre-flight reads it). */
  readyOn(network: string, node: string): boolean {
    const r = this.reports.get(network)?.get(node);
    if (r) return r.ready && !r.removed;
    return this.o.networks.get(network)?.status?.nodes?.some((e) => e.node === node && e.ready === true) ?? false;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    let net = this.o.networks.get(name);
    for (let attempt = 1; net && !net.metadata.deletionTimestamp; attempt++) {
      const status = this.statusOf(net);
      if (deepEqual(status, net.status ?? {})) return done();
      try {
        await this.o.store.updateStatus({ ...net, status });
        return done();
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
        net = await this.o.store.get<Network>('Network', name);
      }
    }
    return done();
  }

  private statusOf(net: Network): NetworkStatus {
    const byNode = this.reports.get(net.metadata.name) ?? new Map<string, agentv1.NetworkObserved>();
    const entries = new Map<string, NodeEntry>((net.status?.nodes ?? []).map((e) => [e.node, e]));
    for (const [node, r] of byNode) {
      if (r.removed) {
        entries.delete(node);
        continue;
      }
      entries.set(node, {
        node, ready: r.ready,
        ...(r.bridge ? { bridge: r.bridge.slice(0, 15) } : {}),
        ...(r.reason ? { reason: r.reason.slice(0, 64) } : {}),
        ...(r.message ? { message: r.message.slice(0, 1024) } : {}),
      });
    }
    const status: NetworkStatus = { ...net.status };
    const nodes = [...entries.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    if (nodes.length > 0) status.nodes = nodes;
    else delete status.nodes;
    const range = net.spec.mode === 'bridge' ? undefined : rangeOf(net.spec);
    if (range && this.o.reservations) {
      const reserved = this.o.reservations.ofNetwork(net.metadata.name).filter((r) => r.ipv4 !== undefined).length;
      status.addresses = { reserved, capacity: capacityOf(range) };
    }
    return status;
  }
}
