/**
 * Releases the reservations of VMs that are gone (leader only). A VM leaves the store by
 * several paths (its last finalizer confirmed by the deletion loop, a delete with nothing to
 * clean up, prune, a forced delete): rather than teach each of them IPAM, this loop watches the
 * VM informer and removes, with compare-and-swap, every reservation whose VM uid no longer
 * exists once the VM object is finally removed. At start it sweeps the ones orphaned while no
 * controller led. A reservation newer than what the VM informer has seen is never taken for
 * an orphan (its VM was written in the same transaction and is merely not delivered yet).
 * Until the sweep runs the address stays held, never handed out twice.
 */
import type { VirtualMachine } from '@hvs/domain';
import { done, ReconcilerRunner, requeueAfter, type Clock, type ReconcileResult, type RunnerHooks } from '@hvs/reconcile';
import type { Informer } from '../runtime/informer';
import type { ObjectStore } from '../store/types';
import type { ReservationCache } from './reservation-cache';

export interface ReservationSweeperOptions {
  store: ObjectStore;
  vms: Informer<VirtualMachine>;
  reservations: ReservationCache;
  clock?: Clock;
  hooks?: RunnerHooks<string>;
}

export class ReservationSweeper {
  /** Key: a VM uid whose reservations to check. */
  readonly runner: ReconcilerRunner<string>;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly o: ReservationSweeperOptions) {
    this.runner = new ReconcilerRunner((uid) => this.reconcile(uid), { name: 'ipam-sweep', workers: 2, clock: o.clock, hooks: o.hooks });
  }

  start(): void {
    this.unsubscribe.push(this.o.vms.subscribe((e) => {
      if (e.type === 'DELETED' && e.object.metadata.uid) this.runner.enqueue(e.object.metadata.uid);
    }));
    this.unsubscribe.push(this.o.reservations.subscribe((changed) => {
      for (const r of changed) this.runner.enqueue(r.vmUid);
    }));
    for (const uid of new Set(this.o.reservations.list().map((r) => r.vmUid))) this.runner.enqueue(uid);
    this.runner.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.runner.stop({ graceMs: 5_000 });
  }

  async reconcile(uid: string): Promise<ReconcileResult> {
    if (this.o.vms.list().some((vm) => vm.metadata.uid === uid)) return done();
    const seen = Number(this.o.vms.revision);
    const mine = this.o.reservations.ofVm(uid);
    const orphans = mine.filter((r) => Number(r.version) <= seen);
    // Newer than the VM informer: decide again once it has caught up.
    if (orphans.length < mine.length) return requeueAfter(1_000);
    if (orphans.length === 0) return done();
    // One transaction, each removal pinned to the version read: a reservation re-written meanwhile stays.
    await this.o.store.applyBatch([], orphans.map((r) => ({ op: 'remove' as const, key: r.key, expect: r.version })));
    return done();
  }
}
