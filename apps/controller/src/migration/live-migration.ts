/**
 * One live (or post-copy) migration, driven from the controller: the source agent's Migrate
 * stream is followed to its end and mirrored into the Migration's status, at most one progress
 * write per `progressEveryMs` (plus the final one). Completed flips the VM to the target in the
 * same transaction that marks the Migration Succeeded; Failed (or a broken stream) marks it
 * Failed with the agent's error (libvirt's text, why, fix) and the VM stays on the source.
 * A stream that breaks while libvirt's job may still run is retried by the next leader or
 * reconcile: the agent answers a repeated Migrate by following the same job (or Completed).
 */
import type { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { formatProblem, isHvsError, tryParseDuration, type Migration, type MigrationStatus, type Node, type VirtualMachine } from '@hvs/domain';
import { agentv1, detailToProblem, hvsErrorFromServiceError, migrationModes } from '@hvs/proto';
import type { Clock } from '@hvs/reconcile';
import type { AgentDialer } from '../agents/agent-connection';
import type { EventSink } from '../events/event-recorder';
import type { ObjectStore } from '../store/types';
import { migrationUri } from './assignment-view';
import type { MigrationObserver } from './migration-metrics';
import { commit, without } from './migration-writes';

export interface LiveRunContext {
  store: ObjectStore;
  dialer: AgentDialer;
  clock: Clock;
  progressEveryMs: number;
  events?: EventSink;
  log?: { warn(o: object, m: string): void };
  /** Told once per migration, by the writer that ended it. */
  observer?: MigrationObserver;
}

/** What the source agent reports when libvirt's job was aborted (AbortMigration). */
const CANCELLED = 'HVS-LIBVIRT-MIGRATE-CANCELLED';

function progressOf(p: agentv1.MigrateProgress): NonNullable<MigrationStatus['progress']> {
  return { bytesTotal: p.dataTotal, bytesDone: p.dataProcessed, bytesRemaining: p.dataRemaining, dirtyRate: p.dirtyRate, iteration: p.iteration };
}

export async function finishSucceeded(ctx: Pick<LiveRunContext, 'store' | 'clock' | 'events' | 'observer'>, name: string, target: string, extra: Partial<MigrationStatus>): Promise<void> {
  const now = ctx.clock.now();
  const written = await commit(ctx.store, name, (m) => m.status?.phase !== 'Running' ? undefined : {
    migration: (s) => ({
      ...s, ...extra, phase: 'Succeeded', reason: 'Completed', completionTime: new Date(now).toISOString(),
      durationMs: s.startTime ? Math.max(0, now - Date.parse(s.startTime)) : 0,
      message: `moved to ${target}${extra.downtimeMs !== undefined ? ` with ${extra.downtimeMs} ms downtime` : ''}`,
    }),
    vm: (s) => ({ ...without(s, 'migration'), node: target }),
  });
  if (written) {
    ctx.observer?.observeEnded(written);
    void ctx.events?.record({
      kind: 'VirtualMachine', name: written.spec.vm, type: 'Normal', reason: 'Migrated', message: `${written.status?.message} (Migration ${name})`, source: 'controller/migration', node: target,
    });
  }
}

export async function finishFailed(ctx: Pick<LiveRunContext, 'store' | 'clock' | 'events' | 'observer'>, name: string, reason: string, message: string): Promise<void> {
  const now = ctx.clock.now();
  const written = await commit(ctx.store, name, (m) => m.status?.phase === 'Succeeded' || m.status?.phase === 'Failed' ? undefined : {
    migration: (s) => ({
      ...s, phase: 'Failed', reason, message: message.slice(0, 4000), completionTime: new Date(now).toISOString(),
      ...(s.startTime ? { durationMs: Math.max(0, now - Date.parse(s.startTime)) } : {}),
    }),
    vm: (s) => (s.migration === name ? without(s, 'migration') : s),
  });
  if (written) {
    ctx.observer?.observeEnded(written);
    void ctx.events?.record({ kind: 'VirtualMachine', name: written.spec.vm, type: 'Warning', reason: 'MigrationFailed', message: `Migration ${name}: ${message}`.slice(0, 1000), source: 'controller/migration' });
  }
}

/** A fresh store revision: at least the fencing token of any assignment the agent has seen. */
async function freshFencingToken(store: ObjectStore): Promise<number> {
  return Number((await store.list('Node')).revision);
}

/**
 * Asks the source agent to abort libvirt's job (Agent.AbortMigration); runLive's stream then
 * reports the end. Resolves false when no migration of the VM runs there any more (it just
 * ended: the stream says how); rejects with the agent's HvsError otherwise.
 */
export async function requestAbort(ctx: Pick<LiveRunContext, 'store' | 'dialer'>, m: Migration, vm: VirtualMachine, source: Node): Promise<boolean> {
  const client = ctx.dialer(source.metadata.name, source.spec.address ?? '');
  try {
    const token = await freshFencingToken(ctx.store);
    await new Promise<agentv1.AbortMigrationResponse>((resolve, reject) => client.abortMigration(
      { vmUid: vm.metadata.uid ?? '', migration: m.metadata.name, fencingToken: token }, new Metadata() as GrpcMetadata, { deadline: new Date(Date.now() + 10_000) },
      (e, r) => (e ? reject(hvsErrorFromServiceError(e)) : resolve(r!)),
    ));
    return true;
  } catch (e) {
    if (isHvsError(e) && e.code === 'HVS-AGENT-MIGRATION-NOT-RUNNING') return false;
    throw e;
  } finally {
    client.close();
  }
}

/** Runs to the migration's end; never throws (failures are written to the Migration). */
export async function runLive(ctx: LiveRunContext, m: Migration, vm: VirtualMachine, source: Node, target: Node, signal: AbortSignal): Promise<void> {
  const name = m.metadata.name;
  const client = ctx.dialer(source.metadata.name, source.spec.address ?? '');
  let lastWrite = 0;
  try {
    const token = await freshFencingToken(ctx.store);
    const call = client.migrate({
      vmUid: vm.metadata.uid ?? '', vmName: vm.metadata.name, targetUri: migrationUri(target), targetAddress: '',
      mode: migrationModes.toProto(m.status?.mode ?? m.spec.mode ?? 'live'), maxDowntimeMs: m.spec.maxDowntime ? Math.round(tryParseDuration(m.spec.maxDowntime) ?? 0) : 0,
      copyStorage: m.status?.copyStorage ?? false, fencingToken: token, migration: name, autoConverge: true, bandwidthBytesPerSecond: m.spec.bandwidthLimit ?? 0,
    }, new Metadata() as GrpcMetadata);
    const onAbort = () => call.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const p of call as AsyncIterable<agentv1.MigrateProgress>) {
        if (p.phase === 'Completed') {
          await finishSucceeded(ctx, name, target.metadata.name, { progress: progressOf(p), ...(p.downtimeMs > 0 ? { downtimeMs: p.downtimeMs } : {}) });
          return;
        }
        if (p.phase === 'Failed') {
          if (p.error?.code === CANCELLED) {
            await finishFailed(ctx, name, 'Cancelled', `cancelled on request: libvirt aborted the job; the VM keeps running on ${source.metadata.name}`);
            return;
          }
          const text = p.error ? formatProblem(detailToProblem(p.error)) : 'the source agent reported the migration failed without a reason';
          await finishFailed(ctx, name, 'MigrationFailed', `${text} (the VM keeps running on ${source.metadata.name})`);
          return;
        }
        const now = ctx.clock.now();
        if (now - lastWrite >= ctx.progressEveryMs) {
          lastWrite = now;
          await commit(ctx.store, name, (cur) => cur.status?.phase !== 'Running' ? undefined : { migration: (s) => ({ ...s, progress: progressOf(p), reason: p.phase }) });
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) return;
    await finishFailed(ctx, name, 'StreamEnded', `the source agent on ${source.metadata.name} ended the Migrate stream without an outcome; the VM stays there`);
  } catch (e) {
    if (signal.aborted) return; // leadership lost: the next leader follows the same job
    const err = hvsErrorFromServiceError(e);
    await finishFailed(ctx, name, 'AgentError', `${err.toString()} (the VM stays on ${source.metadata.name})`).catch((w: unknown) => ctx.log?.warn({ err: w, migration: name }, 'recording a failed migration failed'));
  } finally {
    client.close();
  }
}

