import { AGENT_VM_PHASES, type AgentVmPhase, type ImageObservation, type NetworkObservation, type VmEvent, type VmObservation } from '@hvs/domain';
import { EventHub } from '../hypervisor/event-hub';
import type { HostReport } from './host-report';

/** Everything a Watch subscriber needs to start from. */
export interface ObservedSnapshot {
  host: HostReport | undefined;
  vms: VmObservation[];
  /** Generation of the assignment being reconciled toward. */
  observedGeneration: number;
  /** Domains this agent did not create (left alone). */
  unmanagedDomains: string[];
  fencingToken: number;
  /** How each assigned Network is realised here (network/). */
  networks: NetworkObservation[];
  /** This host's copy of each Image its VMs use (images/). */
  images: ImageObservation[];
}

/** One published change (or the snapshot a subscription starts with). */
export type ObservedChange =
  | { type: 'snapshot'; snapshot: ObservedSnapshot }
  | { type: 'vm'; vm: VmObservation }
  | { type: 'vmEvent'; event: VmEvent }
  | { type: 'hostFacts'; host: HostReport }
  | { type: 'network'; network: NetworkObservation }
  | { type: 'image'; image: ImageObservation }
  /** cleanedUp: its clean-up after leaving the assignment finished (domain undefined, volumes removed or kept); else only no longer reported. */
  | { type: 'vmRemoved'; uid: string; name: string; cleanedUp: boolean; volumesKept: boolean };

export interface SequencedChange {
  /** Per agent process, one more per change; a snapshot carries the last one it includes. */
  sequence: number;
  change: ObservedChange;
}

export type SnapshotExtras = Pick<ObservedSnapshot, 'host' | 'observedGeneration' | 'fencingToken'>;

/**
 * The observed side of every managed VM, plus the domains the agent does not manage, fanned out
 * to Watch subscribers as domain values (grpc/observed-wire.ts turns them into AgentEvents).
 * Every published change gets the next sequence number (per agent process). A snapshot carries
 * the sequence of the last change it includes, so the next change a subscriber receives is
 * snapshot.sequence + 1 or later. Publishing and snapshotting are synchronous: nothing can slip
 * between a subscriber's snapshot and its first change.
 */
export class ObservedState {
  private readonly vms = new Map<string, VmObservation>();
  private readonly unmanagedNames = new Set<string>();
  private readonly networkObs = new Map<string, NetworkObservation>();
  private readonly imageObs = new Map<string, ImageObservation>();
  private readonly hub = new EventHub<SequencedChange>();
  private seq = 0;

  get sequence(): number {
    return this.seq;
  }

  get(uid: string): VmObservation | undefined {
    return this.vms.get(uid);
  }

  all(): VmObservation[] {
    return [...this.vms.values()];
  }

  unmanaged(): string[] {
    return [...this.unmanagedNames].sort();
  }

  /** Records the VM's observed state; publishes only when something changed. */
  set(obs: VmObservation): void {
    const before = this.vms.get(obs.uid);
    if (before && JSON.stringify(before) === JSON.stringify(obs)) return;
    this.vms.set(obs.uid, obs);
    this.publish({ type: 'vm', vm: obs });
  }

  remove(uid: string, name: string): void {
    if (!this.vms.delete(uid)) return;
    this.publish({ type: 'vmRemoved', uid, name, cleanedUp: false, volumesKept: false });
  }

  /**
   * The clean-up of a VM that left the assignment is finished (domain undefined, volumes
   * removed or kept): published even when the VM was not reported (e.g. after a restart), since
   * the controller waits on this to let the VM go.
   */
  cleanedUp(uid: string, name: string, volumesKept: boolean): void {
    const known = this.vms.get(uid)?.name;
    this.vms.delete(uid);
    this.publish({ type: 'vmRemoved', uid, name: known ?? name, cleanedUp: true, volumesKept });
  }

  networks(): NetworkObservation[] {
    return [...this.networkObs.values()];
  }

  network(name: string): NetworkObservation | undefined {
    return this.networkObs.get(name);
  }

  /** Records how a Network is realised here; publishes only when something changed. */
  setNetwork(obs: NetworkObservation): void {
    const before = this.networkObs.get(obs.network);
    if (before && JSON.stringify(before) === JSON.stringify(obs)) return;
    this.networkObs.set(obs.network, obs);
    this.publish({ type: 'network', network: obs });
  }

  /** The Network left the assignment and nothing of it is left here: one last report with removed. */
  removeNetwork(name: string, bridge: string): void {
    if (!this.networkObs.delete(name)) return;
    this.publish({ type: 'network', network: { network: name, bridge, ready: false, reason: 'Removed', message: 'no VM here uses it any more; removed from this host', removed: true } });
  }

  image(name: string): ImageObservation | undefined {
    return this.imageObs.get(name);
  }

  /** Records this host's copy of an Image; publishes only when something changed. */
  setImage(obs: ImageObservation): void {
    const before = this.imageObs.get(obs.image);
    if (before && JSON.stringify(before) === JSON.stringify(obs)) return;
    this.imageObs.set(obs.image, obs);
    this.publish({ type: 'image', image: obs });
  }

  forgetImage(name: string): void {
    this.imageObs.delete(name);
  }

  event(e: Omit<VmEvent, 'time'>, at: number): void {
    this.publish({ type: 'vmEvent', event: { ...e, time: new Date(at).toISOString() } });
  }

  hostFacts(host: HostReport | undefined): void {
    if (host) this.publish({ type: 'hostFacts', host });
  }

  /** Replaces the set of unmanaged domain names (from a full list). */
  setUnmanaged(names: Iterable<string>): void {
    this.unmanagedNames.clear();
    for (const n of names) this.unmanagedNames.add(n);
  }

  addUnmanaged(name: string): void {
    this.unmanagedNames.add(name);
  }

  deleteUnmanaged(name: string): void {
    this.unmanagedNames.delete(name);
  }

  snapshot(extras: SnapshotExtras): SequencedChange {
    return {
      sequence: this.seq,
      change: { type: 'snapshot', snapshot: { ...extras, vms: this.all(), unmanagedDomains: this.unmanaged(), networks: [...this.networkObs.values()], images: [...this.imageObs.values()] } },
    };
  }

  /**
   * A subscription whose first element is a snapshot, then every later change. `extras` is
   * read synchronously right after subscribing, so nothing published in between is lost.
   * `close()` (or the iterator's return) ends it at once, a pending next() included.
   */
  watch(extras: () => SnapshotExtras): AsyncIterable<SequencedChange> & { close(): Promise<void> } {
    const sub = this.hub.subscribe()[Symbol.asyncIterator]();
    const first = this.snapshot(extras());
    let sent = false;
    const iterator: AsyncIterator<SequencedChange> = {
      next: () => {
        if (!sent) {
          sent = true;
          return Promise.resolve({ value: first, done: false });
        }
        return sub.next();
      },
      return: () => sub.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    };
    return {
      [Symbol.asyncIterator]: () => iterator,
      close: async () => {
        await iterator.return!();
      },
    };
  }

  /** VMs per phase, every phase present (for hvs_agent_domains{phase}). */
  countByPhase(): Record<AgentVmPhase, number> {
    const out = Object.fromEntries(AGENT_VM_PHASES.map((p) => [p, 0])) as Record<AgentVmPhase, number>;
    for (const v of this.vms.values()) out[v.phase]++;
    return out;
  }

  subscribers(): number {
    return this.hub.subscriberCount;
  }

  close(): void {
    this.hub.close();
  }

  private publish(change: ObservedChange): void {
    this.hub.publish({ sequence: ++this.seq, change });
  }
}
