/**
 * Leader gating (DESIGN §1): every replica serves reads, only the leader runs the
 * reconcilers and the dispatcher. ControlLoops follows the LeaderElector: on leadership it
 * builds fresh informers (list + watch), the VM scheduler, the node-lifecycle reconciler and
 * the dispatcher, and starts them; on loss it stops them all and drops their state (a later
 * term starts from a fresh list: level-triggered, nothing carried over).
 *
 * Transitions are serialised: a start finishes before the stop that follows it runs. A start
 * that fails (etcd unreachable) is torn down and retried while this replica still leads.
 */
import type { Image, Migration, Network, Node, Secret, StoragePool, VirtualMachine } from '@hvs/domain';
import { SystemClock, type Clock, type ReconcileOutcome, type RunnerHooks, type TimerHandle } from '@hvs/reconcile';
import type { AgentDialer } from '../agents';
import { vmDeletionReconciler, type DeletionReconciler } from '../deletion';
import { Dispatcher, NetworkStatusSync } from '../dispatch';
import { ReservationCache, ReservationSweeper } from '../ipam';
import { ImageStatusWriter } from '../dispatch/image-status';
import type { AuditEntry } from '../audit';
import type { EventSink } from '../events/event-recorder';
import { capacityReport, DEFAULT_HA_TIMING, HaRescheduler, type HaTiming } from '../ha';
import type { NodeLeases } from '../leases/node-leases';
import { countInFlight, type MigrationObserver } from '../migration/migration-metrics';
import { MigrationReconciler, type MigrationLimits } from '../migration/migration.reconciler';
import type { ObjectStore, StoredObject } from '../store/types';
import { Informer } from '../runtime/informer';
import { NodeLifecycleReconciler } from '../node-lifecycle/node-lifecycle.reconciler';
import { VmScheduleReconciler } from '../scheduling/vm-schedule.reconciler';

export interface ControlLoopsLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ControlLoopsOptions {
  store: ObjectStore;
  leases: Pick<NodeLeases, 'list' | 'watch' | 'ttlSeconds'>;
  elector: { readonly isLeader: boolean; onChange(listener: (isLeader: boolean) => void): () => void };
  /** This replica's id (the elector's id), sent to agents. */
  controllerId: string;
  clock?: Clock;
  dialer?: AgentDialer;
  /** Run the dispatcher (default true; false for a scheduler-only bench). */
  dispatch?: boolean;
  scheduleWorkers?: number;
  /** Delay before retrying a failed start, default 1 s. */
  retryStartMs?: number;
  log?: ControlLoopsLog;
  /** Every reconcile of every loop (for hvs_reconcile_* metrics). Must not throw. */
  onReconcile?: (reconciler: string, outcome: ReconcileOutcome, durationMs: number) => void;
  /** Where the loops record events (scheduling, node readiness, the agents' VM events). */
  events?: EventSink;
  /** Outbound migrations per host and per cluster at once (defaults 1 and 2). */
  migrationLimits?: Partial<MigrationLimits>;
  /** Told once per migration that ends (hvs_migration* metrics). */
  migrationObserver?: MigrationObserver;
  /** fenceAfter (sent to agents) and the reschedule margin; defaults 15 s + 5 s (docs/ha.md). */
  ha?: HaTiming;
  /** Where loops record audit entries of their own (an Image digest pinned on first download). */
  audit?: { append(entries: readonly AuditEntry[]): Promise<void> };
}

interface Running {
  informers: Informer<StoredObject>[];
  scheduler: VmScheduleReconciler;
  lifecycle: NodeLifecycleReconciler;
  migration: MigrationReconciler;
  ha: HaRescheduler;
  nodes: Informer<Node>;
  vms: Informer<VirtualMachine>;
  dispatcher?: Dispatcher;
  vmDeletion: DeletionReconciler<VirtualMachine>;
  reservations: ReservationCache;
  sweeper: ReservationSweeper;
  networkStatus: NetworkStatusSync;
  imageStatus: ImageStatusWriter;
}

export class ControlLoops {
  private running: Running | undefined;
  private chain: Promise<void> = Promise.resolve();
  private wantLeading = false;
  private off: (() => void) | undefined;
  private retry: TimerHandle | undefined;
  private readonly clock: Clock;

  constructor(private readonly options: ControlLoopsOptions) {
    this.clock = options.clock ?? new SystemClock();
  }

  /** Follows the elector from now on (starts the loops at once if this replica already leads). */
  start(): void {
    if (this.off) return;
    this.off = this.options.elector.onChange((lead) => this.follow(lead));
    if (this.options.elector.isLeader) this.follow(true);
  }

  /** Stops following and stops the loops; resolves when they have stopped. */
  async stop(): Promise<void> {
    this.off?.();
    this.off = undefined;
    this.follow(false);
    await this.chain;
  }

  /** Whether the loops run in this replica now. */
  get active(): boolean {
    return this.running !== undefined;
  }

  /** The running scheduler (undefined when not leading), for tests and the bench. */
  get scheduler(): VmScheduleReconciler | undefined {
    return this.running?.scheduler;
  }

  get dispatcher(): Dispatcher | undefined {
    return this.running?.dispatcher;
  }

  /** Image status from the agents' reports (undefined when not leading), for tests. */
  get imageStatus(): ImageStatusWriter | undefined {
    return this.running?.imageStatus;
  }

  /** The VM deletion loop (undefined when not leading), for tests. */
  get vmDeletion(): DeletionReconciler<VirtualMachine> | undefined {
    return this.running?.vmDeletion;
  }

  /** The N+1 HA capacity report (leader only; undefined otherwise). */
  /** Migrations Pending and Running now (leader only; undefined otherwise), for hvs_migrations_in_flight. */
  migrationsInFlight(): { Pending: number; Running: number } | undefined {
    return this.running ? countInFlight(this.running.migration.migrations.list()) : undefined;
  }

  capacityReport() {
    return this.running ? capacityReport(this.running.nodes.list(), this.running.vms.list(), this.running.migration.migrations.list()) : undefined;
  }

  /** Resolves once every leadership transition asked for so far has finished. */
  settled(): Promise<void> {
    return this.chain;
  }

  private follow(lead: boolean): void {
    this.wantLeading = lead;
    this.clock.clearTimeout(this.retry);
    this.chain = this.chain.then(() => (this.wantLeading ? this.startLoops() : this.stopLoops()));
  }

  private async startLoops(): Promise<void> {
    if (this.running || !this.wantLeading) return;
    const store = this.options.store;
    const clock = this.clock;
    const onError = (e: unknown) => this.options.log?.warn({ err: e }, 'control loop watch failed; re-listing');
    const inf = <T extends StoredObject>(kind: string) => new Informer<T>(store, kind, { clock, onError });
    const informers = {
      vms: inf<VirtualMachine>('VirtualMachine'), nodes: inf<Node>('Node'), networks: inf<Network>('Network'),
      // The dispatcher resolves cloud-init secretRefs into each VM's Assign (decrypted by the store).
      secrets: inf<Secret>('Secret'),
      // The dispatcher sends the Images the VMs use (and writes their status from the agents' reports).
      images: inf<Image>('Image'),
      // The migration reconciler checks the target's pools. FirewallPolicies get an informer with
      // the first loop that reads them (dispatch/assignment-scope.ts).
      storagePools: inf<StoragePool>('StoragePool'),
      // Shared by the scheduler (target reservations of migrations in flight) and the migration reconciler.
      migrations: inf<Migration>('Migration'),
    };
    const all = Object.values(informers) as Informer<StoredObject>[];
    const started: { stop(): Promise<void> }[] = [];
    // IPAM reservations (apps/controller/src/ipam): the Assigns' bindings, Network status, the sweeper.
    const reservations = new ReservationCache(store, { clock, onError });
    try {
      for (const i of all) {
        await i.start();
        started.push(i);
      }
      await reservations.start();
      started.push(reservations);
      const networkStatus = new NetworkStatusSync({ store, networks: informers.networks, reservations, clock, hooks: this.hooks('network-status') });
      const sweeper = new ReservationSweeper({ store, vms: informers.vms, reservations, clock, hooks: this.hooks('ipam-sweep') });
      const scheduler = new VmScheduleReconciler({
        store, vms: informers.vms, nodes: informers.nodes, migrations: informers.migrations, clock, workers: this.options.scheduleWorkers, hooks: this.hooks('vm-schedule'), events: this.options.events,
      });
      const lifecycle = new NodeLifecycleReconciler({ store, nodes: informers.nodes, leases: this.options.leases, clock, onError, hooks: this.hooks('node-lifecycle'), events: this.options.events });
      // The deletion loop reads what the dispatcher's agents confirmed; the dispatcher tells it when.
      const late: { dispatcher?: Dispatcher } = {};
      const vmDeletion = vmDeletionReconciler({
        store, vms: informers.vms, nodes: informers.nodes, clock, hooks: this.hooks('deletion-virtualmachine'), events: this.options.events,
        confirmations: { isConfirmed: (node, uid) => late.dispatcher?.cleanup.isConfirmed(node, uid) ?? false },
      });
      const imageStatus = new ImageStatusWriter({ store, images: informers.images, clock, events: this.options.events, audit: this.options.audit, log: this.options.log });
      const dispatcher = this.options.dispatch === false ? undefined : new Dispatcher({
        store, informers: { ...informers, reservations }, controllerId: this.options.controllerId, dialer: this.options.dialer, clock, log: this.options.log,
        onNetworkObserved: (node, observed) => networkStatus.observe(node, observed),
        fenceAfterMs: (this.options.ha ?? DEFAULT_HA_TIMING).fenceAfterMs, onReconcile: this.options.onReconcile, events: this.options.events,
        onCleanupConfirmed: (vm) => vmDeletion.enqueue(vm),
        onImageObserved: (node, observed) => imageStatus.observe(node, observed),
      });
      late.dispatcher = dispatcher;
      const ha = new HaRescheduler({
        store, nodes: informers.nodes, vms: informers.vms, leaseTtlSeconds: this.options.leases.ttlSeconds, timing: this.options.ha, clock,
        hooks: this.hooks('ha-reschedule'), events: this.options.events, log: this.options.log,
      });
      const migration = new MigrationReconciler({
        store, vms: informers.vms, nodes: informers.nodes, migrations: informers.migrations, storagePools: informers.storagePools, dialer: this.options.dialer, clock,
        hooks: this.hooks('migration'), events: this.options.events, log: this.options.log, limits: this.options.migrationLimits, observer: this.options.migrationObserver,
        networkReady: (network, node) => networkStatus.readyOn(network, node),
      });
      await lifecycle.start();
      await migration.start();
      scheduler.start();
      ha.start();
      dispatcher?.start();
      vmDeletion.start();
      networkStatus.start();
      sweeper.start();
      this.running = { informers: all, scheduler, lifecycle, migration, ha, nodes: informers.nodes, vms: informers.vms, dispatcher, vmDeletion, reservations, sweeper, networkStatus, imageStatus };
      this.options.log?.info({ controllerId: this.options.controllerId }, 'leading: control loops started');
    } catch (e) {
      await Promise.all(started.map((i) => i.stop()));
      this.options.log?.warn({ err: e }, 'control loops failed to start; retrying');
      this.retry = this.clock.setTimeout(() => this.wantLeading && this.follow(true), this.options.retryStartMs ?? 1_000);
    }
  }

  private hooks(name: string): RunnerHooks<string> {
    return {
      onResult: (_key, outcome, ms) => this.options.onReconcile?.(name, outcome, ms),
      onError: (key, err, retryInMs) => this.options.log?.warn({ reconciler: name, key, err, retryInMs }, 'reconcile failed; retrying'),
      onTerminal: (key, err) => this.options.log?.warn({ reconciler: name, key, err }, 'reconcile failed for good'),
    };
  }

  private async stopLoops(): Promise<void> {
    const r = this.running;
    if (!r) return;
    this.running = undefined;
    r.imageStatus.stop();
    await Promise.all([r.scheduler.stop(), r.lifecycle.stop(), r.migration.stop(), r.ha.stop(), r.dispatcher?.stop(), r.vmDeletion.stop(), r.sweeper.stop(), r.networkStatus.stop()]);
    await Promise.all([...r.informers.map((i) => i.stop()), r.reservations.stop()]);
    this.options.log?.info({ controllerId: this.options.controllerId }, 'not leading: control loops stopped');
  }
}
