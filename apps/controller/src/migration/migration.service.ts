/**
 * VmService.MigrateVm: checks that the VM can move and where to (the same pure decisions the
 * reconciler makes), estimates duration and downtime, and creates the Migration object (the
 * leader's MigrationReconciler carries it out). `dryRun` stops after the estimate and writes
 * nothing. The estimate's inputs: the VM's memory, its dirty rate measured on the source
 * (DirtyRateProbe, a 2 s deadline) and the link bandwidth from the nodes' annotations; whatever
 * could not be had is assumed, with the reason in the notes. Errors say what, why and the fix; nothing is written when any check fails.
 */
import {
  ASSUMED_BANDWIDTH_BPS, chooseTarget, decideMove, diskBytes, estimateMigration, formatUnschedulable, HvsError, isHvsError, linkBandwidth, MIGRATION_BANDWIDTH_ANNOTATION, occupiedPlacements, vmResources,
  type LinkBandwidth, type Migration, type MigrationEstimate, type MigrationMode, type Node, type StoragePool, type VirtualMachine,
} from '@hvs/domain';
import type { AuditService } from '../audit';
import type { CallContext } from '../services/call-context';
import { admit, notVisible, visible } from '../services/access';
import { auditedBatch, auditFailure, retryOnConflict } from '../services/writes';
import type { ObjectStore } from '../store/types';
import type { DirtyRateProbe } from './dirty-rate-probe';

export interface MigrateVmInput {
  vm: string;
  targetNode?: string;
  /** undefined: live when the source can, else offline. */
  mode?: MigrationMode;
  maxDowntimeMs?: number;
  /** false: never copy local disks (then a VM with local disks cannot move live). */
  copyStorage?: boolean;
  /** Bytes/s the migration may use at most; undefined: no limit. */
  bandwidthLimit?: number;
  dryRun?: boolean;
}

export interface MigrateVmResult {
  migration?: Migration;
  sourceNode: string;
  targetNode: string;
  mode: MigrationMode;
  estimate: MigrationEstimate;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

/** The link as the migration will see it: no faster than its own limit. */
function limitBandwidth(link: LinkBandwidth, limit: number | undefined): LinkBandwidth {
  if (!limit || limit <= 0) return link;
  const known = link.bytesPerSecond;
  if (known !== undefined && known <= limit) return link;
  const assumed = known === undefined && limit > ASSUMED_BANDWIDTH_BPS;
  return {
    ...link, bytesPerSecond: assumed ? undefined : limit,
    notes: [...link.notes, assumed ? `bandwidth limit ${(limit / 1e6).toFixed(0)} MB/s is above the assumed link` : `bandwidth limited to ${(limit / 1e6).toFixed(1)} MB/s for this migration`],
  };
}

/** Throws unless `m` can still be cancelled (see MigrationService.cancel). */
function checkCancellable(m: Migration): void {
  const name = m.metadata.name;
  const phase = m.status?.phase ?? 'Pending';
  if (TERMINAL.has(phase)) {
    throw cancelRefused('HVS-MIGRATION-ENDED', 'FailedPrecondition', `Migration ${name} already ended (${phase}${m.status?.reason ? `: ${m.status.reason}` : ''})`,
      'only a Pending or Running migration can be cancelled', phase === 'Succeeded' ? `the VM is on ${m.status?.targetNode}: migrate it back if needed` : 'nothing to cancel');
  }
  if (m.status?.mode === 'offline' && phase === 'Running' && m.status.step !== 'Stopping') {
    throw cancelRefused('HVS-MIGRATION-NOT-CANCELLABLE', 'FailedPrecondition', `Migration ${name} is past the point of no return (${m.status.step})`,
      `the VM is already bound to ${m.status.targetNode}: stopping now would leave it on neither host`, `let it finish (hvctl get migration ${name}), then migrate the VM back`);
  }
}

function cancelRefused(code: string, category: HvsError['category'], message: string, why: string, fix: string): HvsError {
  return new HvsError({ code, category, message, why, fix });
}

/** `<vm>-<time in base 36>`: unique per VM and millisecond, a DNS label. */
export function migrationName(vm: string, nowMs: number): string {
  const suffix = nowMs.toString(36);
  return `${vm.slice(0, 62 - suffix.length).replace(/-+$/, '')}-${suffix}`;
}

export class MigrationService {
  constructor(
    private readonly store: ObjectStore, private readonly audit: AuditService, private readonly clock: () => Date = () => new Date(),
    /** Undefined: no agent connection from here; the dirty rate is then assumed. */
    private readonly dirtyRate?: DirtyRateProbe,
  ) {}

  async migrateVm(input: MigrateVmInput, ctx: CallContext): Promise<MigrateVmResult> {
    admit(ctx, 'VmService/Migrate');
    const vm = await this.store.get<VirtualMachine>('VirtualMachine', input.vm);
    if (!visible(ctx, vm.metadata.labels)) throw notVisible('VirtualMachine', input.vm);
    admit(ctx, 'VmService/Migrate', { kind: 'VirtualMachine', name: input.vm, labels: vm.metadata.labels ?? {} });
    const source = vm.status?.node;
    if (!source) {
      throw new HvsError({
        code: 'HVS-MIGRATION-VM-NOT-PLACED', category: 'FailedPrecondition', message: `VM ${input.vm} is not on any node yet`,
        why: 'only a VM bound to a node can move', fix: 'wait until it is scheduled (`hvctl get vm -o wide`), or change spec.placement to steer where it starts',
      });
    }
    if (vm.status?.migration) {
      const current = await this.store.get<Migration>('Migration', vm.status.migration).catch(() => undefined);
      if (current && !TERMINAL.has(current.status?.phase ?? 'Pending')) {
        throw new HvsError({
          code: 'HVS-MIGRATION-IN-PROGRESS', category: 'Conflict', message: `VM ${input.vm} is already moving (Migration ${current.metadata.name})`,
          why: 'a VM moves one migration at a time', fix: `wait for it: hvctl get migration ${current.metadata.name}`,
        });
      }
    }
    const [nodes, pools, vms, migrations] = await Promise.all([
      this.store.list<Node>('Node'), this.store.list<StoragePool>('StoragePool'), this.store.list<VirtualMachine>('VirtualMachine'),
      this.store.list<Migration>('Migration'),
    ]);
    const poolMap = new Map(pools.items.map((p) => [p.metadata.name, p]));
    const move = decideMove(vm, { source: nodes.items.find((n) => n.metadata.name === source), pools: poolMap, mode: input.mode, copyStorage: input.copyStorage });
    if (!move.ok) {
      throw new HvsError({ code: move.code, category: 'FailedPrecondition', message: `VM ${input.vm} cannot be migrated`, why: move.reason, fix: move.fix });
    }
    // Migrations in flight hold their targets: a second move to the same node sees the first.
    const target = chooseTarget(vm, source, nodes.items, occupiedPlacements(vms.items, migrations.items), input.targetNode);
    if (!target.ok) {
      throw new HvsError({
        code: 'HVS-MIGRATION-NO-TARGET', category: 'FailedPrecondition', message: `no node can take VM ${input.vm}${input.targetNode ? ` (asked for ${input.targetNode})` : ''}`,
        why: formatUnschedulable(target), fix: 'pick another node with --to, free capacity there, or uncordon a node; `hvctl get nodes` shows capacity',
        problems: target.reasons.map((r) => ({ code: 'HVS-MIGRATION-NO-TARGET', path: `node/${r.node}`, message: r.reason, fix: 'pick another node or free capacity' })),
      });
    }
    const sourceNode = nodes.items.find((n) => n.metadata.name === source);
    const link = limitBandwidth(linkBandwidth(sourceNode, nodes.items.find((n) => n.metadata.name === target.node)), input.bandwidthLimit);
    const measured = move.running && move.mode !== 'offline' ? await this.sampleDirtyRate(sourceNode, vm) : undefined;
    const estimate = estimateMigration({
      mode: move.mode, memoryBytes: vmResources(vm).memoryBytes, running: move.running, maxDowntimeMs: input.maxDowntimeMs,
      copiedDiskBytes: move.copyStorage ? diskBytes(vm, move.localDisks) : 0,
      bandwidthBps: link.bytesPerSecond, bandwidthAssumedWhy: `no ${MIGRATION_BANDWIDTH_ANNOTATION} annotation on ${source} or ${target.node}`,
      dirtyRateBps: measured?.bps, dirtyRateAssumedWhy: measured?.why,
    });
    estimate.notes.unshift(...move.notes, ...(measured?.note ? [measured.note] : []), ...link.notes);
    const result: MigrateVmResult = { sourceNode: source, targetNode: target.node, mode: move.mode, estimate };
    if (input.dryRun) return result;

    const now = this.clock();
    const name = migrationName(input.vm, now.getTime());
    const maxDowntime = input.maxDowntimeMs && input.maxDowntimeMs > 0 ? `${Math.round(input.maxDowntimeMs)}ms` : undefined;
    const object: Migration = {
      apiVersion: 'hvs/v1', kind: 'Migration', metadata: { name, labels: { 'hvs.dev/vm': input.vm } },
      spec: {
        vm: input.vm, targetNode: target.node, mode: move.mode, copyStorage: move.copyStorage, ...(maxDowntime ? { maxDowntime } : {}),
        ...(input.bandwidthLimit ? { bandwidthLimit: Math.round(input.bandwidthLimit) } : {}),
      },
      status: { phase: 'Pending' },
    };
    try {
      const batch = await auditedBatch(this.store, this.audit, [{ op: 'create', object }], [{ operation: 'migrate', kind: 'Migration', name, actor: ctx.actor, generationBefore: 0, generationAfter: 1 }]);
      return { ...result, migration: batch.results[0]!.object as Migration };
    } catch (e) {
      await auditFailure(this.audit, e, { operation: 'migrate', kind: 'Migration', name, actor: ctx.actor });
      throw e;
    }
  }

  /**
   * Asks the Migration named `migration` (or the one VM `vm` is in) to stop: sets spec.cancel,
   * audited; the leader's MigrationReconciler does the rest and the Migration ends Failed with
   * reason Cancelled (unless it completes first). Refused, writing nothing, when it already
   * ended or is an offline move past its Stopping step.
   */
  async cancel(input: { migration?: string; vm?: string }, ctx: CallContext): Promise<Migration> {
    admit(ctx, 'VmService/CancelMigration');
    if (input.vm) {
      const vm = await this.store.get<VirtualMachine>('VirtualMachine', input.vm);
      if (!visible(ctx, vm.metadata.labels)) throw notVisible('VirtualMachine', input.vm);
      admit(ctx, 'VmService/CancelMigration', { kind: 'VirtualMachine', name: input.vm, labels: vm.metadata.labels ?? {} });
    }
    const name = input.migration || (input.vm ? await this.inFlightOf(input.vm) : undefined);
    if (!name) throw cancelRefused('HVS-MIGRATION-CANCEL-INVALID', 'InvalidArgument', 'no Migration and no VM named', 'cancel needs one of them', 'name the VM (hvctl migrate VM --cancel) or the Migration');
    try {
      // The reconciler writes progress into the status about once a second: a lost race is re-read and re-checked.
      return await retryOnConflict(false, async () => {
        const m = await this.store.get<Migration>('Migration', name);
        checkCancellable(m);
        if (m.spec.cancel) return m;
        const generation = m.metadata.generation ?? 1;
        const batch = await auditedBatch(this.store, this.audit, [{ op: 'update', object: { ...m, spec: { ...m.spec, cancel: true } } }],
          [{ operation: 'cancel', kind: 'Migration', name, actor: ctx.actor, generationBefore: generation, generationAfter: generation + 1 }]);
        return batch.results[0]!.object as Migration;
      });
    } catch (e) {
      // Refusals (HVS-MIGRATION-*) wrote nothing and are not audited, as in migrateVm.
      if (!isHvsError(e) || !e.code.startsWith('HVS-MIGRATION-')) await auditFailure(this.audit, e, { operation: 'cancel', kind: 'Migration', name, actor: ctx.actor });
      throw e;
    }
  }

  /** The Migration a VM is in now (status.migration), or an error saying there is none. */
  private async inFlightOf(vm: string): Promise<string> {
    const v = await this.store.get<VirtualMachine>('VirtualMachine', vm);
    if (v.status?.migration) return v.status.migration;
    const pending = (await this.store.list<Migration>('Migration', { labelSelector: `hvs.dev/vm=${vm}` })).items.filter((m) => !TERMINAL.has(m.status?.phase ?? 'Pending'));
    if (pending.length > 0) return pending[0]!.metadata.name;
    throw cancelRefused('HVS-MIGRATION-NONE', 'NotFound', `VM ${vm} is not migrating`, 'it has no Pending or Running Migration', 'see its past migrations with `hvctl get migrations -l hvs.dev/vm=' + vm + '`');
  }

  /** The measured rate, or why there is none (the estimate then assumes one). Never throws. */
  private async sampleDirtyRate(node: Node | undefined, vm: VirtualMachine): Promise<{ bps?: number; why?: string; note?: string }> {
    const where = node?.metadata.name ?? vm.status?.node ?? 'the source';
    if (!this.dirtyRate || !node) return { why: `no agent connection to ${where} from this API` };
    try {
      const r = await this.dirtyRate.sample(node, vm);
      return { bps: r.bytesPerSecond, note: `dirty rate measured on ${where}: ${(r.bytesPerSecond / 1024 / 1024).toFixed(1)} MiB/s over ${r.periodSeconds} s (${r.mode})` };
    } catch (e) {
      const why = isHvsError(e) ? `${e.code}: ${e.message}${e.why ? ` (${e.why})` : ''}` : String(e);
      return { why: `sampling on ${where} failed: ${why}`.slice(0, 400) };
    }
  }
}
