/**
 * The deletion loop of one kind (DESIGN §2): for every terminating object it asks each
 * clean-up check whose finalizer the object still carries whether that clean-up is confirmed,
 * removes the finalizer when it is (the store deletes the object with the last one), and
 * otherwise keeps a `Deleting` condition saying what is pending and why, so `hvctl describe`
 * and `hvctl delete --wait` can tell the person. Level-triggered: per key it re-reads the object
 * and decides; every write is compare-and-swap (a conflict re-reads from the store).
 *
 * Kind-agnostic: a Network or Image clean-up is one more CleanupCheck (and a FinalizerConcern
 * in runtime/finalizers.ts), wired in app/control-loops.ts.
 */
import { isHvsError, type Condition } from '@hvs/domain';
import { done, ReconcilerRunner, requeueAfter, SystemClock, type Clock, type ReconcileResult, type RunnerHooks } from '@hvs/reconcile';
import type { EventSink } from '../events/event-recorder';
import { findCondition, setCondition } from '../runtime/conditions';
import { hasFinalizer, isTerminating, withoutFinalizer } from '../runtime/finalizers';
import type { Informer } from '../runtime/informer';
import { isConflict } from '../store/errors';
import type { ObjectStore, StoredObject } from '../store/types';

export const DELETING = 'Deleting';

/** Done: the finalizer may go (message: what confirmed it). Pending: why not yet, for the Deleting condition. */
export type CleanupVerdict = { done: true; message: string } | { done: false; reason: string; message: string };

export interface CleanupCheck<T extends StoredObject> {
  finalizer: string;
  /** Pure over cached state: no I/O (the loop re-runs it whenever something it reads changes). */
  check(object: T): CleanupVerdict;
}

export interface DeletionReconcilerOptions<T extends StoredObject> {
  kind: string;
  store: ObjectStore;
  informer: Informer<T>;
  checks: readonly CleanupCheck<T>[];
  clock?: Clock;
  hooks?: RunnerHooks<string>;
  /** CleanupConfirmed events (none: not recorded). */
  events?: EventSink;
  /** Re-check a pending deletion this often even without a trigger (default 30 s). */
  recheckMs?: number;
  /**
   * Other things the checks read (e.g. a node's readiness): each subscribes with the loop's
   * `enqueueTerminating` and returns its unsubscribe; run from start() to stop().
   */
  triggers?: readonly ((enqueueTerminating: (filter: (object: T) => boolean) => void) => () => void)[];
}

type WithConditions = StoredObject & { status?: { conditions?: Condition[] } };

export class DeletionReconciler<T extends StoredObject> {
  readonly runner: ReconcilerRunner<string>;
  private readonly clock: Clock;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly o: DeletionReconcilerOptions<T>) {
    this.clock = o.clock ?? new SystemClock();
    this.runner = new ReconcilerRunner((name) => this.reconcile(name), { name: `deletion-${o.kind.toLowerCase()}`, workers: 4, clock: this.clock, hooks: o.hooks });
  }

  start(): void {
    this.unsubscribe.push(this.o.informer.subscribe((e) => {
      if (e.type !== 'DELETED' && isTerminating(e.object)) this.runner.enqueue(e.object.metadata.name);
    }));
    for (const t of this.o.triggers ?? []) this.unsubscribe.push(t((filter) => this.enqueueTerminating(filter)));
    this.enqueueTerminating();
    this.runner.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.runner.stop({ graceMs: 5_000 });
  }

  enqueue(name: string): void {
    this.runner.enqueue(name);
  }

  /** Every terminating object again (something a check reads changed, e.g. a node's readiness). */
  enqueueTerminating(filter: (object: T) => boolean = () => true): void {
    for (const obj of this.o.informer.list()) if (isTerminating(obj) && filter(obj)) this.runner.enqueue(obj.metadata.name);
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    let obj = this.o.informer.get(name);
    for (let attempt = 1; obj && isTerminating(obj); attempt++) {
      try {
        return await this.step(obj);
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
        obj = await this.o.store.get<T>(this.o.kind, name).catch((err: unknown) => {
          if (isHvsError(err) && err.category === 'NotFound') return undefined;
          throw err;
        });
      }
    }
    return done();
  }

  private async step(obj: T): Promise<ReconcileResult> {
    const pending: { finalizer: string; reason: string; message: string }[] = [];
    for (const c of this.o.checks) {
      if (!hasFinalizer(obj, c.finalizer)) continue;
      const verdict = c.check(obj);
      if (verdict.done) {
        // One finalizer per step: the informer's MODIFIED event (if the object stays) queues the next.
        await this.o.store.update(withoutFinalizer(obj, c.finalizer));
        void this.o.events?.record({
          kind: this.o.kind, name: obj.metadata.name, uid: obj.metadata.uid, type: 'Normal', reason: 'CleanupConfirmed',
          message: `${c.finalizer}: ${verdict.message}`, source: 'controller/deletion',
        });
        return done();
      }
      pending.push({ finalizer: c.finalizer, reason: verdict.reason, message: verdict.message });
    }
    if (pending.length === 0) return done();
    await this.markDeleting(obj as T & WithConditions, pending);
    return requeueAfter(this.o.recheckMs ?? 30_000);
  }

  /** The Deleting condition says what is pending; written only when it changes. */
  private async markDeleting(obj: T & WithConditions, pending: { finalizer: string; reason: string; message: string }[]): Promise<void> {
    const message = pending.map((p) => `${p.finalizer}: ${p.message}`).join('; ');
    const reason = pending[0]!.reason;
    const before = findCondition(obj.status?.conditions, DELETING);
    if (before?.status === 'True' && before.reason === reason && before.message === message) return;
    const conditions = setCondition(obj.status?.conditions, { type: DELETING, status: 'True', reason, message }, new Date(this.clock.now()).toISOString());
    await this.o.store.updateStatus({ ...obj, status: { ...obj.status, conditions } });
  }
}
