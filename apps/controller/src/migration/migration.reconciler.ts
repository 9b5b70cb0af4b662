/**
 * The Migration reconciler (leader only). Per key (a Migration name):
 * - Pending: check the VM (bound, not already moving), how it can move (decideMove: passthrough
 *   devices, local disks, test-driver sources move offline) and where (chooseTarget: the
 *   scheduler over every node but the source, or the named target checked the same way); wait
 *   for a slot (limits: outbound per source host, per cluster); then Running, in one
 *   transaction with the VM's status.migration.
 * - Running, live/post-copy: one job per Migration follows the source agent's stream
 *   (live-migration.ts); a new leader starts the job again and the agent re-attaches it.
 * - Running, offline: Stopping (the source's assignment says Stopped: assignment-view.ts) ->
 *   Moving (status.node flips to the target once the source reported Stopped) -> Starting
 *   (the target starts it; the source undefines it) -> Succeeded with the downtime measured.
 * Failures end in Failed with a reason; the VM then stays where it was.
 * - spec.cancel (MigrationService.cancel): Pending -> Failed/Cancelled at once; offline while
 *   Stopping -> the hold is lifted and the VM runs on the source again; live/post-copy -> the
 *   source agent's AbortMigration (retried until the agent answers), after which the job's
 *   stream ends Failed with HVS-LIBVIRT-MIGRATE-CANCELLED -> Failed/Cancelled.
 */
import {
  chooseTarget, decideMove, formatUnschedulable, occupiedPlacements, type Migration, type Node, type StoragePool, type VirtualMachine,
} from '@hvs/domain';
import { hvsErrorFromServiceError } from '@hvs/proto';
import { done, ReconcilerRunner, requeueAfter, SystemClock, type Clock, type ReconcileResult, type RunnerHooks } from '@hvs/reconcile';
import { insecureDialer, type AgentDialer } from '../agents/agent-connection';
import type { EventSink } from '../events/event-recorder';
import { Informer } from '../runtime/informer';
import type { ObjectStore } from '../store/types';
import { OFFLINE_STOP_ANNOTATION, offlineStopValue } from './assignment-view';
import { finishFailed, finishSucceeded, requestAbort, runLive, type LiveRunContext } from './live-migration';
import type { MigrationObserver } from './migration-metrics';
import { commit, without } from './migration-writes';
import { networksNotReady, waitingMessage, type NetworkReadiness } from './network-preflight';

export interface MigrationLimits {
  /** Outbound migrations per source host at once (default 1). */
  perHost: number;
  /** Migrations in the whole cluster at once (default 2). */
  perCluster: number;
}

export const DEFAULT_MIGRATION_LIMITS: MigrationLimits = { perHost: 1, perCluster: 2 };

export interface MigrationReconcilerOptions {
  store: ObjectStore;
  vms: Informer<VirtualMachine>;
  nodes: Informer<Node>;
  /** A Migration informer shared with the scheduler (started and stopped by its owner); default: its own. */
  migrations?: Informer<Migration>;
  storagePools?: { get(name: string): StoragePool | undefined };
  dialer?: AgentDialer;
  clock?: Clock;
  hooks?: RunnerHooks<string>;
  events?: EventSink;
  log?: { warn(o: object, m: string): void };
  limits?: Partial<MigrationLimits>;
  /** Told when a migration ends (hvs_migration* metrics). */
  observer?: MigrationObserver;
  /** At most one progress write per this long (default 1000). */
  progressEveryMs?: number;
  /** Whether a node has realised a Network (Network status); absent: no network pre-flight. */
  networkReady?: NetworkReadiness;
  /** An offline step (stop on the source, start on the target) fails after this long (default 10 min). */
  offlineStepTimeoutMs?: number;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

export class MigrationReconciler {
  readonly runner: ReconcilerRunner<string>;
  readonly migrations: Informer<Migration>;
  private readonly clock: Clock;
  private readonly limits: MigrationLimits;
  private readonly jobs = new Map<string, { promise: Promise<void>; abort: AbortController }>();
  /** Jobs that ended here: the informer may still show them Running (its event lags the write). */
  private readonly ended = new Set<string>();
  /** Started here but not yet seen Running by the informer (counts against the limits). */
  private readonly starting = new Map<string, string>();
  private readonly unsubscribe: (() => void)[] = [];
  /** Live migrations whose source agent accepted AbortMigration (asked once per migration). */
  private readonly abortsSent = new Set<string>();

  constructor(private readonly o: MigrationReconcilerOptions) {
    this.clock = o.clock ?? new SystemClock();
    this.limits = { ...DEFAULT_MIGRATION_LIMITS, ...o.limits };
    this.migrations = o.migrations ?? new Informer<Migration>(o.store, 'Migration', { clock: this.clock, onError: (e) => o.log?.warn({ err: e }, 'Migration watch failed; re-listing') });
    this.runner = new ReconcilerRunner((name) => this.reconcile(name), { name: 'migration', workers: 4, clock: this.clock, hooks: o.hooks });
  }

  async start(): Promise<void> {
    if (!this.o.migrations) await this.migrations.start();
    this.unsubscribe.push(this.migrations.subscribe((e) => {
      if (e.type !== 'DELETED') this.runner.enqueue(e.object.metadata.name);
      if (e.type === 'DELETED' || TERMINAL.has(e.object.status?.phase ?? '')) this.enqueuePending();
    }));
    // Offline steps wait on the VM's observed phase and node.
    this.unsubscribe.push(this.o.vms.subscribe((e) => {
      const m = e.object.status?.migration;
      if (m) this.runner.enqueue(m);
    }));
    for (const m of this.migrations.list()) if (!TERMINAL.has(m.status?.phase ?? '')) this.runner.enqueue(m.metadata.name);
    this.runner.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.runner.stop({ graceMs: 5_000 });
    for (const j of this.jobs.values()) j.abort.abort();
    await Promise.allSettled([...this.jobs.values()].map((j) => j.promise));
    if (!this.o.migrations) await this.migrations.stop();
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const m = this.migrations.get(name);
    if (!m || TERMINAL.has(m.status?.phase ?? '')) {
      this.starting.delete(name);
      this.ended.delete(name);
      this.abortsSent.delete(name);
      return done();
    }
    if (m.status?.phase === 'Running') {
      this.starting.delete(name);
      if (m.status.mode === 'offline') return this.offlineStep(m);
      if (this.ended.delete(name)) {
        const fresh = await this.o.store.get<Migration>('Migration', name).catch(() => undefined);
        if (!fresh || TERMINAL.has(fresh.status?.phase ?? '')) return done();
      }
      const job = this.ensureLiveJob(m);
      // A VM deleted mid-move is aborted like a cancel: it stays on the source, whose agent then
      // removes it; a move completing would leave the domain on a target that never gets it assigned.
      const deleting = this.o.vms.get(m.spec.vm)?.metadata.deletionTimestamp !== undefined;
      return m.spec.cancel || deleting ? this.abortLive(m) : job;
    }
    if (m.spec.cancel) return this.fail(name, 'Cancelled', `cancelled before it started; VM ${m.spec.vm} stays where it is`);
    return this.admit(m);
  }

  private fail(name: string, reason: string, message: string): Promise<ReconcileResult> {
    this.starting.delete(name);
    return finishFailed(this.ctx(), name, reason, message).then(() => done());
  }

  private async admit(m: Migration): Promise<ReconcileResult> {
    const name = m.metadata.name;
    const vm = this.o.vms.get(m.spec.vm);
    if (!vm || vm.metadata.deletionTimestamp) return this.fail(name, 'VmNotFound', `VM ${m.spec.vm} does not exist (or is being deleted)`);
    const source = vm.status?.node;
    if (!source) return this.fail(name, 'VmNotPlaced', `VM ${m.spec.vm} is not bound to a node yet: there is nothing to migrate; it is scheduled directly`);
    const other = vm.status?.migration;
    if (other && other !== name && !TERMINAL.has(this.migrations.get(other)?.status?.phase ?? 'Succeeded')) {
      return this.fail(name, 'AlreadyMigrating', `VM ${m.spec.vm} is already moving (Migration ${other}); wait for it to finish`);
    }
    const nodes = this.o.nodes.list();
    const move = decideMove(vm, { source: this.o.nodes.get(source), pools: this.o.storagePools ?? { get: () => undefined }, mode: m.spec.mode, copyStorage: m.spec.copyStorage });
    if (!move.ok) return this.fail(name, 'NotMovable', `${move.reason}; fix: ${move.fix}`);
    // Other migrations in flight hold their targets; this one's own reservation is not counted against it.
    // A target chosen earlier (named in status while its Networks come up) is kept.
    const target = chooseTarget(vm, source, nodes, occupiedPlacements(this.o.vms.list(), this.migrations.list(), name), m.spec.targetNode ?? m.status?.targetNode);
    if (!target.ok) return this.fail(name, 'NoTarget', `no node can take VM ${m.spec.vm}: ${formatUnschedulable(target)}`);
    const missing = this.o.networkReady ? networksNotReady(vm, target.node, this.o.networkReady) : [];
    if (missing.length > 0) {
      const message = waitingMessage(vm.metadata.name, target.node, missing);
      if (m.status?.targetNode !== target.node || m.status.message !== message) {
        await commit(this.o.store, name, (cur) => (cur.status?.phase ?? 'Pending') === 'Pending' ? {
          migration: (s) => ({ ...s, phase: 'Pending', targetNode: target.node, reason: 'WaitingForNetwork', message }),
        } : undefined);
      }
      return requeueAfter(2_000);
    }
    if (!this.slotFree(name, source)) return requeueAfter(5_000); // also re-queued when a migration ends
    this.starting.set(name, source);
    const now = new Date(this.clock.now()).toISOString();
    await commit(this.o.store, name, (cur) => cur.status?.phase === undefined || cur.status.phase === 'Pending' ? {
      migration: (s) => ({
        ...s, phase: 'Running', sourceNode: source, targetNode: target.node, mode: move.mode, copyStorage: move.copyStorage, startTime: now,
        reason: 'Started', message: [`${move.mode} move from ${source} to ${target.node}`, ...move.notes].join('; '),
        ...(move.mode === 'offline' ? { step: move.running ? 'Stopping' as const : 'Moving' as const } : {}),
      }),
      vm: (s) => ({ ...s, migration: name }),
    } : undefined);
    return done();
  }

  /** The source's outbound and the cluster's migrations (Running, or started here) are under the limits. */
  private slotFree(name: string, source: string): boolean {
    const active = new Map<string, string>(this.starting);
    for (const m of this.migrations.list()) if (m.status?.phase === 'Running' && m.status.sourceNode) active.set(m.metadata.name, m.status.sourceNode);
    active.delete(name);
    const fromSource = [...active.values()].filter((s) => s === source).length;
    return active.size < this.limits.perCluster && fromSource < this.limits.perHost;
  }

  private enqueuePending(): void {
    for (const m of this.migrations.list()) if ((m.status?.phase ?? 'Pending') === 'Pending') this.runner.enqueue(m.metadata.name);
  }

  private ensureLiveJob(m: Migration): ReconcileResult {
    const name = m.metadata.name;
    if (this.jobs.has(name)) return done();
    const vm = this.o.vms.get(m.spec.vm);
    const source = this.o.nodes.get(m.status?.sourceNode ?? '');
    const target = this.o.nodes.get(m.status?.targetNode ?? '');
    if (!vm || !source || !target) {
      void this.fail(name, 'Vanished', `the VM, its source node or the target node no longer exists (vm ${m.spec.vm}, source ${m.status?.sourceNode}, target ${m.status?.targetNode})`);
      return done();
    }
    const abort = new AbortController();
    const promise = runLive(this.ctx(), m, vm, source, target, abort.signal)
      .catch((e: unknown) => this.o.log?.warn({ err: e, migration: name }, 'live migration job failed'))
      .finally(() => {
        this.jobs.delete(name);
        this.ended.add(name);
        this.runner.enqueue(name);
      });
    this.jobs.set(name, { promise, abort });
    return done();
  }

  /** Asks the source agent to abort libvirt's job; the live job's stream then reports the end. */
  private async abortLive(m: Migration): Promise<ReconcileResult> {
    const name = m.metadata.name;
    if (this.abortsSent.has(name)) return done();
    const source = this.o.nodes.get(m.status?.sourceNode ?? '');
    const vm = this.o.vms.get(m.spec.vm);
    if (!source || !vm) return done(); // the job fails it as Vanished
    try {
      // false: not running there any more; its stream reports how it ended.
      if (await requestAbort(this.ctx(), m, vm, source)) this.abortsSent.add(name);
      return done();
    } catch (e) {
      const err = hvsErrorFromServiceError(e);
      this.o.log?.warn({ migration: name, code: err.code }, `aborting migration ${name} on ${source.metadata.name} failed; retrying: ${err.toString()}`);
      return requeueAfter(2_000);
    }
  }

  private async offlineStep(m: Migration): Promise<ReconcileResult> {
    const name = m.metadata.name;
    // Fresh, not the informer's copy: the steps wait on the VM's node and phase, and the two
    // informers (Migration, VM) may lag each other.
    const vm = await this.o.store.get<VirtualMachine>('VirtualMachine', m.spec.vm).catch(() => undefined);
    const source = m.status?.sourceNode ?? '';
    const target = m.status?.targetNode ?? '';
    if (!vm) return this.fail(name, 'VmNotFound', `VM ${m.spec.vm} was deleted during the move`);
    const started = Date.parse(m.status?.startTime ?? '') || this.clock.now();
    const late = this.clock.now() - started > (this.o.offlineStepTimeoutMs ?? 600_000);
    const hold = offlineStopValue(name, source);
    const wantsRunning = (vm.spec.runState ?? 'Running') === 'Running';
    if (m.status?.step === 'Stopping') {
      if (m.spec.cancel) return this.clearHoldAndFail(vm, name, 'Cancelled', `cancelled while stopping on ${source}; VM ${vm.metadata.name} stays there (and starts again if it should run)`);
      if (vm.metadata.annotations?.[OFFLINE_STOP_ANNOTATION] !== hold) {
        await this.o.store.update({ ...vm, metadata: { ...vm.metadata, annotations: { ...vm.metadata.annotations, [OFFLINE_STOP_ANNOTATION]: hold } } });
        return done();
      }
      if (vm.status?.phase !== 'Stopped') {
        if (late) return this.clearHoldAndFail(vm, name, 'StopTimeout', `the agent on ${source} did not report VM ${vm.metadata.name} Stopped in time; it stays on ${source}`);
        return requeueAfter(5_000);
      }
      await commit(this.o.store, name, (cur) => cur.status?.step !== 'Stopping' ? undefined : { migration: (s) => ({ ...s, step: 'Moving' as const }) });
      return done();
    }
    if (m.status?.step === 'Moving') {
      // The flip: the source drops the VM (undefines it), the target defines and starts it.
      await commit(this.o.store, name, (cur, v) => cur.status?.step !== 'Moving' ? undefined : {
        migration: (s) => ({ ...s, step: 'Starting' as const }),
        vm: () => ({ ...without(v!.status ?? {}, 'ips', 'console'), node: target, migration: name, phase: 'Scheduled' }),
      });
      return done();
    }
    // Starting: done once the target runs it (or at once when the user wants it stopped).
    if (vm.status?.node !== target) return this.clearHoldAndFail(vm, name, 'Moved', `VM ${vm.metadata.name} is bound to ${vm.status?.node}, not ${target}`);
    const running = vm.status?.phase === 'Running';
    if (wantsRunning && !running) {
      if (late) return this.clearHoldAndFail(vm, name, 'StartTimeout', `the agent on ${target} did not report VM ${vm.metadata.name} Running in time (it is bound there now: see \`hvctl describe vm ${vm.metadata.name}\`)`);
      return requeueAfter(5_000);
    }
    if (vm.metadata.annotations?.[OFFLINE_STOP_ANNOTATION] !== undefined) {
      const annotations = without(vm.metadata.annotations ?? {}, OFFLINE_STOP_ANNOTATION);
      await this.o.store.update({ ...vm, metadata: { ...vm.metadata, annotations } });
    }
    const downtimeMs = wantsRunning ? Math.max(0, this.clock.now() - started) : 0;
    await finishSucceeded(this.ctx(), name, target, { downtimeMs, step: undefined });
    return done();
  }

  /** An offline move that ends badly must not leave the VM held stopped on its source. */
  private async clearHoldAndFail(vm: VirtualMachine, name: string, reason: string, message: string): Promise<ReconcileResult> {
    if (vm.metadata.annotations?.[OFFLINE_STOP_ANNOTATION] !== undefined) {
      const annotations = without(vm.metadata.annotations ?? {}, OFFLINE_STOP_ANNOTATION);
      await this.o.store.update({ ...vm, metadata: { ...vm.metadata, annotations } });
    }
    return this.fail(name, reason, message);
  }

  private ctx(): LiveRunContext {
    return { store: this.o.store, dialer: this.o.dialer ?? insecureDialer, clock: this.clock, progressEveryMs: this.o.progressEveryMs ?? 1_000, events: this.o.events, log: this.o.log, observer: this.o.observer };
  }
}
