import { agentv1 } from '@hvs/proto';
import { EventHub } from '../hypervisor/event-hub';
import { AGENT_PHASES, type AgentPhase } from './phase';

type AgentEvent = agentv1.AgentEvent;
type VmObserved = agentv1.VmObserved;
type Payload = NonNullable<AgentEvent['event']>;

export interface SnapshotExtras {
  host: agentv1.Snapshot['host'];
  observedGeneration: number;
  fencingToken: number;
}

/**
 * The observed side of every managed VM, plus the domains the agent does not manage, fanned out
 * to Watch subscribers. Every published change gets the next sequence number (per agent
 * process). A snapshot carries the sequence of the last change it includes, so the next event
 * a subscriber receives is snapshot.sequence + 1 or later. Publishing and snapshotting are
 * synchronous: nothing can slip between a subscriber's snapshot and its first event.
 */
export class ObservedState {
  private readonly vms = new Map<string, VmObserved>();
  private readonly unmanagedNames = new Set<string>();
  private readonly hub = new EventHub<AgentEvent>();
  private seq = 0;

  get sequence(): number {
    return this.seq;
  }

  get(uid: string): VmObserved | undefined {
    return this.vms.get(uid);
  }

  all(): VmObserved[] {
    return [...this.vms.values()];
  }

  unmanaged(): string[] {
    return [...this.unmanagedNames].sort();
  }

  /** Records the VM's observed state; publishes only when something changed. */
  set(obs: VmObserved): void {
    const before = this.vms.get(obs.uid);
    if (before && JSON.stringify(before) === JSON.stringify(obs)) return;
    this.vms.set(obs.uid, obs);
    this.publish({ $case: 'vm', value: obs });
  }

  remove(uid: string, name: string): void {
    if (!this.vms.delete(uid)) return;
    this.publish({ $case: 'vmRemoved', value: { uid, name, cleanedUp: false, volumesKept: false } });
  }

  /**
   * The clean-up of a VM that left the assignment is finished (domain undefined, volumes
   * removed or kept): published even when the VM was not reported (e.g. after a restart), since
   * the controller waits on this to let the VM go.
   */
  cleanedUp(uid: string, name: string, volumesKept: boolean): void {
    const known = this.vms.get(uid)?.name;
    this.vms.delete(uid);
    this.publish({ $case: 'vmRemoved', value: { uid, name: known ?? name, cleanedUp: true, volumesKept } });
  }

  event(e: Omit<agentv1.VmEvent, 'time'>, at: number): void {
    this.publish({ $case: 'vmEvent', value: { ...e, time: new Date(at).toISOString() } });
  }

  hostFacts(facts: agentv1.Snapshot['host']): void {
    if (facts) this.publish({ $case: 'hostFacts', value: facts });
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

  snapshot(extras: SnapshotExtras): AgentEvent {
    return {
      sequence: this.seq,
      event: {
        $case: 'snapshot',
        value: {
          host: extras.host, vms: this.all(), observedGeneration: extras.observedGeneration,
          unmanagedDomains: this.unmanaged(), fencingToken: extras.fencingToken, fenced: false,
        },
      },
    };
  }

  /**
   * A subscription whose first element is a snapshot, then every later change. `extras` is
   * read synchronously right after subscribing, so nothing published in between is lost.
   */
  watch(extras: () => SnapshotExtras): AsyncIterable<AgentEvent> {
    const sub = this.hub.subscribe()[Symbol.asyncIterator]();
    const first = this.snapshot(extras());
    let sent = false;
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          if (!sent) {
            sent = true;
            return Promise.resolve({ value: first, done: false });
          }
          return sub.next();
        },
        return: () => sub.return?.() ?? Promise.resolve({ value: undefined, done: true }),
      }),
    };
  }

  /** VMs per phase, every phase present (for hvs_agent_domains{phase}). */
  countByPhase(): Record<AgentPhase, number> {
    const out = Object.fromEntries(AGENT_PHASES.map((p) => [p, 0])) as Record<AgentPhase, number>;
    for (const v of this.vms.values()) if (v.phase in out) out[v.phase as AgentPhase]++;
    return out;
  }

  subscribers(): number {
    return this.hub.subscriberCount;
  }

  close(): void {
    this.hub.close();
  }

  private publish(event: Payload): void {
    this.hub.publish({ sequence: ++this.seq, event });
  }
}
