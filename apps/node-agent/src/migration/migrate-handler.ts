/**
 * The source side of a live migration (Agent.Migrate). Guarantees:
 * - refused before anything happens (gRPC error) when the VM is not assigned here, the fencing
 *   token is older than the newest this agent has seen, the mode is offline (the controller
 *   does those by reassigning), or the hypervisor cannot migrate (libvirt's test driver);
 * - while it runs, the domain reconciler leaves the VM alone (Departures: the domain pauses
 *   and vanishes under libvirt's job);
 * - on success the VM is marked departed (persisted) before `Completed` is sent, disk volumes
 *   that were copied are deleted here (libvirt leaves the source copies), and the VM is no
 *   longer reported; a repeated call for a departed VM answers `Completed` at once
 *   (idempotent, for a controller that lost the stream);
 * - on failure libvirt keeps the guest running here; the stream ends with one `Failed`
 *   message carrying libvirt's text, why and the fix, and the reconciler takes the VM back;
 * - AbortMigration aborts libvirt's job (or, before it started, stops it from starting): the
 *   stream ends `Failed` with HVS-LIBVIRT-MIGRATE-CANCELLED, the guest keeps running here.
 */
import { domainName, HvsError, isHvsError, type MigrationMode, type Problem } from '@hvs/domain';
import type { Clock } from '@hvs/reconcile';
import { problemOf } from '../domains/phase';
import { isMigratable, type HypervisorDriver, type Migratable, type MigrationProgress } from '../hypervisor';
import type { ObservedState } from '../observed/observed-state';
import type { AssignmentStore } from '../state/assignment-store';
import type { Departures } from './departures';

export interface MigrateHandlerOptions {
  driver: HypervisorDriver;
  store: Pick<AssignmentStore, 'desired' | 'fencingToken'>;
  volumes: { deleteOwned(uid: string): Promise<string[]> };
  observed: Pick<ObservedState, 'remove' | 'event'>;
  departures: Departures;
  clock: Clock;
  nodeName: string;
  /** Resolves when no reconcile of `uid` runs (the migration then owns the domain). */
  idle(uid: string): Promise<void>;
  /** The VM needs a reconcile (a failed migration hands it back). */
  requeue(uid: string): void;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** Progress sampling of the driver, default its own (500 ms). */
  pollMs?: number;
}

/** A Migrate call in domain terms (grpc/migrate-wire.ts reads it off the wire). */
export interface MigrateOrder {
  vmUid: string;
  vmName: string;
  /** The Migration object's name (logs). */
  migration: string;
  targetUri: string;
  mode: MigrationMode;
  copyStorage: boolean;
  autoConverge: boolean;
  /** 0: libvirt's default. */
  maxDowntimeMs: number;
  /** 0: no limit. */
  bandwidthBytesPerSecond: number;
  fencingToken: number;
}

/** One progress report of a migration; `error` with phase Failed. */
export interface MigrateReport {
  phase: string;
  dataTotal: number;
  dataProcessed: number;
  dataRemaining: number;
  dirtyRate: number;
  iteration: number;
  downtimeMs: number;
  elapsedMs: number;
  error?: Problem;
}

function refused(code: string, category: HvsError['category'], message: string, why: string, fix: string): HvsError {
  return new HvsError({ code, category, message, why, fix });
}

export function toProgress(p: MigrationProgress, phase: string): MigrateReport {
  return {
    phase,
    dataTotal: Math.round(p.dataTotalBytes ?? p.memoryTotalBytes ?? 0),
    dataProcessed: Math.round(p.dataProcessedBytes ?? p.memoryProcessedBytes ?? 0),
    dataRemaining: Math.round(p.dataRemainingBytes ?? p.memoryRemainingBytes ?? 0),
    dirtyRate: Math.round(p.dirtyRateBytesPerSec ?? 0),
    iteration: p.iteration ?? 0,
    downtimeMs: Math.round(p.downtimeMs ?? 0),
    elapsedMs: Math.round(p.elapsedMs ?? 0),
  };
}

/**
 * One running migration, driven independently of whoever watches it: a controller whose stream
 * breaks does not stop libvirt's job, and its retry follows the same job (latest sample first).
 */
class MigrationJob {
  /** AbortMigration arrived: a job not yet handed to libvirt must not start. */
  cancelRequested = false;
  /** The driver's migrate() was called: aborting now means aborting libvirt's job. */
  started = false;
  private latest: MigrateReport | undefined;
  private seq = 0;
  private ended = false;
  private waiters: (() => void)[] = [];

  push(p: MigrateReport, last = false): void {
    this.latest = p;
    this.seq++;
    if (last) this.ended = true;
    for (const w of this.waiters.splice(0)) w();
  }

  async *follow(): AsyncGenerator<MigrateReport> {
    let seen = 0;
    for (;;) {
      if (this.seq > seen && this.latest) {
        seen = this.seq;
        yield this.latest;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

export class MigrateHandler {
  private readonly jobs = new Map<string, MigrationJob>();

  constructor(private readonly o: MigrateHandlerOptions) {}

  /** Checks the request (throws HvsError) and returns the progress stream. */
  migrate(req: MigrateOrder): AsyncIterable<MigrateReport> {
    const uid = req.vmUid;
    const vm = uid ? this.o.store.desired(uid) : undefined;
    const what = `VM ${req.vmName || uid || '(unnamed)'}`;
    if (this.o.departures.held(uid) === 'departed') return this.alreadyDone();
    const running = this.jobs.get(uid);
    if (running) return running.follow();
    if (!vm) {
      throw refused('HVS-AGENT-VM-NOT-FOUND', 'NotFound', `${what} is not assigned to node ${this.o.nodeName}`, 'only the source host of a VM can migrate it',
        'check the VM\'s node with `hvctl get vm -o wide`; the controller sends Migrate to that node');
    }
    this.checkToken('Migrate', what, req.fencingToken);
    if (req.mode === 'offline') {
      throw refused('HVS-AGENT-MIGRATE-OFFLINE', 'InvalidArgument', `offline Migrate of ${what} sent to the agent`, 'offline moves are done by the controller (stop, reassign, start)',
        'create a Migration with mode offline; the controller reassigns the VM');
    }
    const driver = this.o.driver;
    if (!isMigratable(driver)) {
      throw refused('HVS-AGENT-MIGRATE-UNSUPPORTED', 'FailedPrecondition', `node ${this.o.nodeName} cannot live-migrate ${what}`,
        'its hypervisor (libvirt\'s test driver) has no migration', 'migrate with --mode offline, or run the agent on real libvirt/QEMU');
    }
    if (!req.targetUri) throw refused('HVS-AGENT-MIGRATE-TARGET', 'InvalidArgument', `Migrate of ${what} names no target`, 'target_uri is empty', 'the controller sets the target node\'s libvirt URI');
    this.o.departures.begin(uid);
    const job = new MigrationJob();
    this.jobs.set(uid, job);
    void this.drive(uid, vm.metadata.name, req, job).finally(() => this.jobs.delete(uid));
    return job.follow();
  }

  /** A host action from a deposed controller (an older fencing token than one seen) is refused. */
  private checkToken(method: string, what: string, token: number): void {
    if (token >= this.o.store.fencingToken) return;
    throw refused('HVS-AGENT-FENCING-TOKEN-STALE', 'FailedPrecondition', `${method} of ${what} carries fencing token ${token}`,
      `this agent has already seen token ${this.o.store.fencingToken}: the request comes from a deposed controller`, 'nothing to do: the current leader retries with its own token');
  }

  /** Agent.AbortMigration: see the guarantees above. Throws HvsError. */
  async abort(req: { vmUid: string; migration: string; fencingToken: number }): Promise<{ jobAborted: boolean }> {
    const uid = req.vmUid;
    const what = `VM ${this.o.store.desired(uid)?.metadata.name ?? (uid || '(no uid)')}`;
    this.checkToken('AbortMigration', what, req.fencingToken);
    const job = this.jobs.get(uid);
    if (!job) {
      throw refused('HVS-AGENT-MIGRATION-NOT-RUNNING', 'NotFound', `no migration of ${what} runs on node ${this.o.nodeName}`,
        'it already ended (succeeded or failed) or never started here', 'read its outcome with `hvctl get migrations`');
    }
    this.o.log.info({ uid, migration: req.migration, started: job.started }, 'migration abort requested');
    job.cancelRequested = true;
    if (!job.started) return { jobAborted: false };
    await (this.o.driver as HypervisorDriver & Migratable).abortMigration(domainName(uid));
    return { jobAborted: true };
  }

  private async *alreadyDone(): AsyncGenerator<MigrateReport> {
    yield toProgress({ phase: 'completed' }, 'Completed');
  }

  private async drive(uid: string, vmName: string, req: MigrateOrder, job: MigrationJob): Promise<void> {
    const t0 = this.o.clock.now();
    const postCopy = req.mode === 'postcopy';
    let last: MigrationProgress | undefined;
    this.o.log.info({ uid, vm: vmName, migration: req.migration, target: req.targetUri, copyStorage: req.copyStorage }, 'migration started');
    job.push(toProgress({ phase: 'running', elapsedMs: 0 }, 'Preparing'));
    try {
      await this.o.idle(uid);
      if (job.cancelRequested) {
        throw refused('HVS-LIBVIRT-MIGRATE-CANCELLED', 'FailedPrecondition', `migration of ${vmName} was cancelled before it started`,
          'AbortMigration arrived before libvirt\'s job began', 'nothing to repair: the VM runs here; migrate again when ready');
      }
      job.started = true;
      const stream = (this.o.driver as HypervisorDriver & Migratable).migrate(domainName(uid), req.targetUri, {
        live: true, persistent: true, undefineSource: true, copyStorage: req.copyStorage, autoConverge: req.autoConverge, postCopy,
        ...(req.maxDowntimeMs > 0 ? { maxDowntimeMs: req.maxDowntimeMs } : {}),
        // libvirt takes whole MiB/s: round up, never to 0 (which means no limit).
        ...(req.bandwidthBytesPerSecond > 0 ? { bandwidthMiBs: Math.max(1, Math.ceil(req.bandwidthBytesPerSecond / (1024 * 1024))) } : {}),
        ...(this.o.pollMs ? { pollMs: this.o.pollMs } : {}),
      });
      for await (const p of stream) {
        last = p;
        if (p.phase === 'completed') break;
        job.push(toProgress(p, postCopy && (p.iteration ?? 0) > 1 ? 'PostCopy' : 'Copying'));
      }
      if (last?.phase !== 'completed') {
        throw refused('HVS-LIBVIRT-MIGRATE-FAILED', 'Internal', `migration of ${vmName} ended without libvirt's completion`, 'the job stream stopped early', 'check `virsh domjobinfo --completed` on the source and retry');
      }
    } catch (e) {
      const err = isHvsError(e) ? e : refused('HVS-LIBVIRT-MIGRATE-FAILED', 'Internal', `migration of ${vmName} failed`, String((e as Error)?.message ?? e), 'check both libvirtds and retry');
      await this.o.departures.end(uid, false);
      this.o.requeue(uid);
      this.o.log.warn({ uid, vm: vmName, code: err.code }, `migration failed; the VM stays here: ${err.toString()}`);
      job.push({ ...toProgress(last ?? { phase: 'running' }, 'Failed'), elapsedMs: this.o.clock.now() - t0, error: problemOf(err) }, true);
      return;
    }
    await this.o.departures.end(uid, true);
    const removed = req.copyStorage ? await this.o.volumes.deleteOwned(uid).catch((e: unknown) => {
      this.o.log.warn({ uid, err: e }, 'migrated, but deleting the source copies of its disks failed; delete them by hand');
      return [] as string[];
    }) : [];
    this.o.observed.event({ name: vmName, uid, type: 'Migrated', reason: 'Migrated', message: `migrated to ${req.targetUri}${removed.length ? `; deleted ${removed.length} source disk copies` : ''}` }, this.o.clock.now());
    this.o.observed.remove(uid, domainName(uid));
    this.o.log.info({ uid, vm: vmName, downtimeMs: last.downtimeMs, removed }, 'migration completed');
    job.push({ ...toProgress(last, 'Completed'), elapsedMs: last.elapsedMs ?? this.o.clock.now() - t0 }, true);
  }
}
