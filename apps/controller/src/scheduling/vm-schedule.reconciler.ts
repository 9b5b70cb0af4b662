/**
 * Binds pending VMs to nodes. Per key (a VM name): re-read the VM, decide with the pure
 * scheduler over the PlacementIndex, then commit the binding with compare-and-swap on the
 * VM's resourceVersion (DESIGN §3: decide, then commit; on Conflict re-read and decide again).
 *
 * Outcomes written to status:
 * - bound: status.node, phase Scheduled, condition Scheduled=True reason Bound;
 * - unschedulable: phase Pending, condition Scheduled=False reason Unschedulable, the message
 *   listing one reason per node. The VM is retried when any Node changes or a bound VM goes
 *   away (capacity freed), not on a timer.
 * Status is written only when it changes; lastTransitionTime moves only when a condition flips.
 * Events (when a sink is given): Normal `Bound` after a binding is committed, Warning
 * `FailedScheduling` with the per-node reasons after every decision that found no node
 * (identical repeats are folded by the recorder).
 */
import { formatUnschedulable, isHvsError, placementOf, type Migration, type Node, type VirtualMachine } from '@hvs/domain';
import { done, ReconcilerRunner, SystemClock, type Clock, type ReconcileResult, type RunnerHooks } from '@hvs/reconcile';
import { isConflict } from '../store/errors';
import { deepEqual } from '../store/objects';
import type { ObjectStore } from '../store/types';
import type { EventSink } from '../events/event-recorder';
import { setCondition } from '../runtime/conditions';
import type { Informer, InformerEvent } from '../runtime/informer';
import { PlacementIndex } from './placement-index';
import { StatusBatcher } from '../runtime/status-batcher';

export const SCHEDULED = 'Scheduled';

export interface VmScheduleReconcilerOptions {
  store: ObjectStore;
  vms: Informer<VirtualMachine>;
  nodes: Informer<Node>;
  /** Migrations: those in flight hold capacity on their targets (placement-index.ts). */
  migrations?: Informer<Migration>;
  clock?: Clock;
  /**
   * Concurrent reconciles. Decisions stay serial (they are synchronous); workers mostly wait on
   * the batched write, so more workers mean bigger transactions. Default 64.
   */
  workers?: number;
  /** Commit bindings of concurrent workers in shared transactions (default true). */
  batchWrites?: boolean;
  /** CAS attempts per reconcile before the key goes back to the queue with backoff. Default 5. */
  maxConflicts?: number;
  hooks?: RunnerHooks<string>;
  /** Where Bound / FailedScheduling events go (none: not recorded). */
  events?: EventSink;
}

export class VmScheduleReconciler {
  readonly runner: ReconcilerRunner<string>;
  readonly index: PlacementIndex;
  private readonly store: ObjectStore;
  private readonly clock: Clock;
  private readonly writer: { write<T extends VirtualMachine>(vm: T): Promise<T> };
  /** Set when writes are batched. */
  readonly batcher: StatusBatcher | undefined;
  /** VMs last found unschedulable: requeued when capacity may have appeared. */
  private readonly waiting = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  /** Version of the last Unschedulable status this reconciler wrote, per VM (its echo is not a new attempt). */
  private readonly unschedulableWrites = new Map<string, string | undefined>();
  /** Versions this reconciler wrote that the informer has not delivered yet. */
  private readonly written = new Map<string, number>();
  /** Bindings committed by this reconciler (for the bench and metrics). */
  bound = 0;

  constructor(private readonly options: VmScheduleReconcilerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? new SystemClock();
    this.index = new PlacementIndex(options.nodes, options.vms, options.migrations);
    this.batcher = options.batchWrites === false ? undefined : new StatusBatcher(this.store);
    this.writer = this.batcher ?? { write: (vm) => this.store.updateStatus(vm) };
    this.runner = new ReconcilerRunner<string>((key) => this.reconcile(key), {
      name: 'vm-schedule', workers: options.workers ?? 64, clock: this.clock, hooks: options.hooks,
    });
  }

  /** Subscribes to the (already synced) informers, queues every unbound VM, starts the workers. */
  start(): void {
    this.unsubscribe.push(this.options.vms.subscribe((e) => this.onVm(e)));
    this.unsubscribe.push(this.options.nodes.subscribe(() => this.retryWaiting()));
    // A migration that ended released its target reservation (or its source, on success).
    if (this.options.migrations) this.unsubscribe.push(this.options.migrations.subscribe((e) => (e.type === 'DELETED' || e.old?.status?.phase !== e.object.status?.phase) && this.retryWaiting()));
    for (const vm of this.options.vms.list()) if (needsBinding(vm)) this.runner.enqueue(vm.metadata.name);
    this.runner.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.runner.stop({ graceMs: 5_000 });
    this.index.close();
  }

  /** One step for VM `name` (the runner's reconcile function; public for tests). */
  async reconcile(name: string): Promise<ReconcileResult> {
    let vm = this.options.vms.get(name);
    // The cache lags our own last write: deciding on it would only conflict. Its event re-queues.
    if (vm && Number(vm.metadata.resourceVersion) < (this.written.get(name) ?? 0)) return done();
    const attempts = this.options.maxConflicts ?? 5;
    for (let attempt = 1; ; attempt++) {
      if (!vm || !needsBinding(vm)) {
        this.waiting.delete(name);
        return done();
      }
      try {
        await this.step(vm);
        return done();
      } catch (e) {
        if (!isConflict(e) || attempt >= attempts) throw e;
        // Someone else wrote the VM (a user, the API, another status writer): decide again on fresh data.
        vm = await this.readFresh(name);
      }
    }
  }

  private async step(vm: VirtualMachine): Promise<void> {
    const name = vm.metadata.name;
    const result = this.index.decide(vm);
    const now = new Date(this.clock.now()).toISOString();
    if (!result.ok) {
      this.waiting.add(name); // before any await: a node change during the write must requeue it
      const status = {
        ...vm.status,
        phase: 'Pending' as const,
        conditions: setCondition(vm.status?.conditions, { type: SCHEDULED, status: 'False', reason: 'Unschedulable', message: formatUnschedulable(result) }, now),
      };
      const echo = this.unschedulableWrites.get(name) === vm.metadata.resourceVersion;
      this.unschedulableWrites.delete(name);
      if (!deepEqual(status, vm.status)) {
        const written = await this.writer.write({ ...vm, status });
        this.wrote(written);
        this.unschedulableWrites.set(name, written.metadata.resourceVersion);
      } else if (echo) {
        return; // the re-queue caused by our own write: same decision, not another attempt
      }
      this.event(vm, 'Warning', 'FailedScheduling', formatUnschedulable(result));
      return;
    }
    this.waiting.delete(name);
    this.unschedulableWrites.delete(name);
    this.index.assume(placementOf(vm, result.node, result.hostdevs));
    const status = {
      ...vm.status,
      node: result.node,
      phase: 'Scheduled' as const,
      conditions: setCondition(vm.status?.conditions, { type: SCHEDULED, status: 'True', reason: 'Bound', message: `bound to node ${result.node}` }, now),
    };
    try {
      this.wrote(await this.writer.write({ ...vm, status }));
      this.bound++;
      this.event(vm, 'Normal', 'Bound', `bound to node ${result.node}`, result.node);
    } catch (e) {
      this.index.forget(name);
      throw e;
    }
  }

  private event(vm: VirtualMachine, type: 'Normal' | 'Warning', reason: string, message: string, node?: string): void {
    void this.options.events?.record({ kind: 'VirtualMachine', name: vm.metadata.name, uid: vm.metadata.uid, type, reason, message, source: 'controller/scheduler', node });
  }

  private wrote(vm: VirtualMachine): void {
    this.written.set(vm.metadata.name, Number(vm.metadata.resourceVersion));
  }

  private async readFresh(name: string): Promise<VirtualMachine | undefined> {
    try {
      return await this.store.get<VirtualMachine>('VirtualMachine', name);
    } catch (e) {
      if (isHvsError(e) && e.code === 'HVS-STORE-NOT-FOUND') return undefined;
      throw e;
    }
  }

  private onVm(e: InformerEvent<VirtualMachine>): void {
    const name = e.object.metadata.name;
    const mine = this.written.get(name);
    if (mine !== undefined && (e.type === 'DELETED' || Number(e.object.metadata.resourceVersion) >= mine)) this.written.delete(name);
    if (e.type === 'DELETED') this.unschedulableWrites.delete(name);
    if (e.type !== 'DELETED' && needsBinding(e.object)) this.runner.enqueue(name);
    // A bound VM that went away, was unbound or moved (a migration landed) freed capacity.
    const freed = e.old?.status?.node && (e.type === 'DELETED' || e.object.status?.node !== e.old.status.node);
    if (freed) this.retryWaiting();
  }

  private retryWaiting(): void {
    for (const name of this.waiting) this.runner.enqueue(name);
  }
}

/** An unbound VM that is not being deleted. */
export function needsBinding(vm: VirtualMachine): boolean {
  return !vm.status?.node && !vm.metadata.deletionTimestamp;
}
