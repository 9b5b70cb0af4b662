/**
 * Keeps each VM's interfaces (VmObservation.interfaces and .ips) current from three sources:
 * the guest agent (`virsh domifaddr --source agent`), this node's DHCP leases
 * (`<stateDir>/networks/<network>/dnsmasq.leases`) and the controller's reservations
 * (store.nics). merge-interfaces.ts decides; this class only gathers and re-publishes.
 *
 * Guarantees:
 * - a new or changed lease is published about 0.1 s after dnsmasq wrote it (fs.watch
 *   on the Network's dir), and within `leasePollMs` (default 3 s) when a watch misses it (the dir
 *   appeared later, an inotify limit): well inside the 10 s the product promises;
 * - the guest agent of each running VM is asked at most once per `guestPollMs` (default 10 s),
 *   backing off to `guestMaxPollMs` (60 s) while its answer stays the same or it has none, at
 *   most `guestConcurrency` at a time, on its own timer: the domain reconciler never waits on
 *   it, and a guest without the agent (an error from libvirt) only means "no answer";
 * - only the VMs whose interfaces changed are re-published (ObservedState.set skips equal ones).
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { domainName, type InterfaceObservation, type VirtualMachine } from '@hvs/domain';
import type { Clock, TimerHandle } from '@hvs/reconcile';
import { readsGuestAddresses, type GuestNic, type HypervisorDriver } from '../hypervisor';
import type { ObservedState } from '../observed/observed-state';
import type { NicBinding } from '../state/assignment-store';
import { DNSMASQ_FILES } from '../state/network-files';
import { readLeases, type DhcpLease } from './dnsmasq-leases';
import { mergeInterfaces, withInterfaces, type VmNic } from './merge-interfaces';

/** How long a burst of watch events on a lease file may last before it is read. */
const SETTLE_MS = 100;

/** The file dnsmasq keeps the leases of one Network in (the shared per-Network dir contract). */
export function leasesPath(networksDir: string, network: string): string {
  return join(networksDir, network, DNSMASQ_FILES.leases);
}

export interface AddressWatchOptions {
  store: { uids(): string[]; desired(uid: string): VirtualMachine | undefined; nics(uid: string): NicBinding[] };
  observed: ObservedState;
  driver: HypervisorDriver;
  clock: Clock;
  /** `<agent stateDir>/networks`. */
  networksDir: string;
  /** Backstop re-read of every lease file (default 3000). */
  leasePollMs?: number;
  /** How often each running VM's guest agent is asked while its answer changes (default 10000). */
  guestPollMs?: number;
  /** The longest interval a guest with an unchanged answer, or none, backs off to (default 60000). */
  guestMaxPollMs?: number;
  /** Guest-agent queries in flight at most (default 2). */
  guestConcurrency?: number;
  log?: { debug(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export class AddressWatch {
  private readonly leases = new Map<string, DhcpLease[]>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly guest = new Map<string, GuestNic[]>();
  /** Per running VM: when its guest agent is due next, and the interval that set it. */
  private readonly asks = new Map<string, { at: number; everyMs: number }>();
  private leaseTimer: TimerHandle | undefined;
  private guestTimer: TimerHandle | undefined;
  /** Networks whose file a watch event marked for a re-read; drained by one reader at a time. */
  private readonly dirty = new Set<string>();
  private reading = false;
  private settleTimer: TimerHandle | undefined;
  private stopped = true;

  constructor(private readonly o: AddressWatchOptions) {}

  start(): void {
    this.stopped = false;
    this.leaseTick();
    if (readsGuestAddresses(this.o.driver)) this.guestTick();
  }

  stop(): void {
    this.stopped = true;
    if (this.leaseTimer !== undefined) this.o.clock.clearTimeout(this.leaseTimer);
    if (this.guestTimer !== undefined) this.o.clock.clearTimeout(this.guestTimer);
    if (this.settleTimer !== undefined) this.o.clock.clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** The VM's interfaces from what is known now (no I/O): what the reconciler publishes. */
  interfaces(uid: string): InterfaceObservation[] {
    return mergeInterfaces({ nics: this.nicsOf(uid), leases: this.leases, guest: this.guest.get(uid) });
  }

  /** The NICs as the controller bound them; without bindings (an older controller), the spec's NICs that name a MAC. */
  private nicsOf(uid: string): VmNic[] {
    const bound = this.o.store.nics(uid);
    if (bound.length > 0) return bound.map((n) => ({ name: n.name, network: n.network, mac: n.mac, ipv4: n.ipv4, dnsName: n.dnsName }));
    return (this.o.store.desired(uid)?.spec.networks ?? []).map((n) => ({ name: n.name, network: n.network, mac: n.mac ?? '', ipv4: n.ip ?? '', dnsName: '' }));
  }

  /** Re-publishes the VM with its current interfaces; a no-op when nothing changed or it is not reported. */
  private republish(uid: string): void {
    const obs = this.o.observed.get(uid);
    if (obs === undefined) return;
    this.o.observed.set(withInterfaces(obs, this.interfaces(uid)));
  }

  private usersOf(network: string): string[] {
    return this.o.store.uids().filter((uid) => this.nicsOf(uid).some((n) => n.network === network));
  }

  // ---- leases ----

  private leaseTick(): void {
    if (this.stopped) return;
    const inUse = new Set(this.o.store.uids().flatMap((uid) => this.nicsOf(uid).map((n) => n.network)));
    for (const [network, w] of this.watchers) {
      if (!inUse.has(network)) {
        w.close();
        this.watchers.delete(network);
      }
    }
    for (const network of [...this.leases.keys()]) if (!inUse.has(network)) this.leases.delete(network);
    for (const network of inUse) {
      this.ensureWatch(network);
      this.dirty.add(network);
    }
    void this.drain().finally(() => {
      if (this.stopped) return;
      // Every VM, cheaply (set() drops equal ones): catches a changed reservation from a new Assign.
      for (const uid of this.o.store.uids()) this.republish(uid);
      this.leaseTimer = this.o.clock.setTimeout(() => this.leaseTick(), this.o.leasePollMs ?? 3000);
    });
  }

  /** Watches the Network's dir (dnsmasq may replace the file, so not the file itself); retried each tick until the dir exists. */
  private ensureWatch(network: string): void {
    if (this.watchers.has(network)) return;
    try {
      const w = watch(join(this.o.networksDir, network), { persistent: false }, (_event, file) => {
        if (file !== null && String(file) === network) {
          // The dir itself went (the Network was removed or is being re-realised): this watch is
          // dead; the next tick watches the new dir once it is there.
          drop();
          this.dirty.add(network);
        }
        if (file === null || String(file).startsWith(DNSMASQ_FILES.leases) || String(file) === network) {
          this.dirty.add(network);
          // dnsmasq truncates, then writes: read once the burst of events is over, not the empty file in between.
          this.settleTimer ??= this.o.clock.setTimeout(() => {
            this.settleTimer = undefined;
            void this.drain();
          }, SETTLE_MS);
        }
      });
      const drop = (): void => {
        w.close();
        if (this.watchers.get(network) === w) this.watchers.delete(network);
      };
      w.on('error', drop);
      this.watchers.set(network, w);
    } catch {
      // No dir yet (the Network is not realised here yet): the poll looks again.
    }
  }

  /** Re-reads the marked lease files, one reader at a time; re-publishes the VMs on a Network whose leases changed. */
  private async drain(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      while (this.dirty.size > 0 && !this.stopped) {
        const network = this.dirty.values().next().value as string;
        this.dirty.delete(network);
        let next: DhcpLease[];
        try {
          next = await readLeases(leasesPath(this.o.networksDir, network), Math.floor(this.o.clock.now() / 1000));
        } catch (e) {
          this.o.log?.warn({ network, err: String(e) }, `reading the DHCP leases of network ${network} failed`);
          continue;
        }
        if (JSON.stringify(next) === JSON.stringify(this.leases.get(network) ?? [])) continue;
        this.leases.set(network, next);
        for (const uid of this.usersOf(network)) this.republish(uid);
      }
    } finally {
      this.reading = false;
    }
  }

  // ---- guest agent ----

  private guestTick(): void {
    if (this.stopped) return;
    void this.askGuests().finally(() => {
      if (!this.stopped) this.guestTimer = this.o.clock.setTimeout(() => this.guestTick(), this.o.guestPollMs ?? 10_000);
    });
  }

  /** One round: the guest agent of every running VM that is due, `guestConcurrency` at a time. */
  private async askGuests(): Promise<void> {
    const running = new Set(this.o.store.uids().filter((uid) => this.o.observed.get(uid)?.phase === 'Running'));
    for (const uid of new Set([...this.guest.keys(), ...this.asks.keys()])) {
      if (running.has(uid)) continue;
      // Stopped, gone or migrated away: start afresh (at the base interval) when it runs again.
      this.asks.delete(uid);
      this.forgetGuest(uid);
    }
    const now = this.o.clock.now();
    const queue = [...running].filter((uid) => (this.asks.get(uid)?.at ?? 0) <= now);
    const worker = async (): Promise<void> => {
      for (let uid = queue.shift(); uid !== undefined && !this.stopped; uid = queue.shift()) await this.askGuest(uid);
    };
    await Promise.all(Array.from({ length: Math.max(1, this.o.guestConcurrency ?? 2) }, worker));
  }

  /**
   * Asks one guest agent. Each virsh call costs the host about 75 ms of CPU, so a guest whose
   * answer did not change (or that has no agent) is asked half as often each time, down to once
   * per `guestMaxPollMs`; a changed answer brings it back to every `guestPollMs`.
   */
  private async askGuest(uid: string): Promise<void> {
    const driver = this.o.driver;
    if (!readsGuestAddresses(driver)) return;
    let nics: GuestNic[] | undefined;
    try {
      nics = await driver.guestAddresses(domainName(uid));
    } catch (e) {
      // No qemu-guest-agent in the guest (or not up yet): the lease and the reservation still tell.
      if (this.guest.has(uid)) this.o.log?.debug({ uid, err: String(e) }, `the guest agent of ${domainName(uid)} stopped answering`);
    }
    const changed = JSON.stringify(nics) !== JSON.stringify(this.guest.get(uid));
    const base = this.o.guestPollMs ?? 10_000;
    const everyMs = changed && nics !== undefined ? base : Math.min(2 * (this.asks.get(uid)?.everyMs ?? base), this.o.guestMaxPollMs ?? 60_000);
    this.asks.set(uid, { at: this.o.clock.now() + everyMs, everyMs });
    if (!changed) return;
    if (nics === undefined) this.forgetGuest(uid);
    else {
      this.guest.set(uid, nics);
      this.republish(uid);
    }
  }

  private forgetGuest(uid: string): void {
    if (this.guest.delete(uid)) this.republish(uid);
  }
}
