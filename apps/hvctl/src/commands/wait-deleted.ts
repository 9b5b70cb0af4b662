/**
 * `delete --wait`: polls each object until it is gone (its finalizers done: for a VM, its
 * node's agent confirmed the domain is undefined and the volumes are removed or kept). Shows
 * what each one still waits on (the controller's `Deleting` condition) as progress; on the
 * deadline it fails with HVS-CLI-DELETE-TIMEOUT naming, per object, the pending finalizer and
 * why (e.g. which node has not confirmed its clean-up). The deletions themselves go on.
 */
import { fromProtoObject } from '@hvs/proto';
import { HvsError } from '@hvs/domain';
import { Progress } from '../printers/progress';
import { formatDuration } from '../printers/table';
import { resourceName, type ShownResource } from '../printers/resources';
import type { Runtime } from './runtime';

const POLL_MS = 500;

export interface DeleteTarget {
  kind: string;
  name: string;
}

/** What a terminating object still waits on, from its finalizers and its Deleting condition. */
export interface PendingDeletion extends DeleteTarget {
  finalizers: string[];
  reason: string;
  message: string;
}

export function pendingOf(t: DeleteTarget, obj: ShownResource): PendingDeletion {
  const finalizers = Array.isArray(obj.metadata.finalizers) ? (obj.metadata.finalizers as string[]) : [];
  const conditions = (obj.status as { conditions?: { type?: string; reason?: string; message?: string }[] } | undefined)?.conditions ?? [];
  const deleting = conditions.find((c) => c.type === 'Deleting');
  return {
    ...t, finalizers,
    reason: deleting?.reason ?? 'AwaitingController',
    message: deleting?.message ?? `waiting for the controller to check ${finalizers.join(', ') || 'the deletion'}`,
  };
}

/** Resolves when every target is gone; throws HVS-CLI-DELETE-TIMEOUT naming what each one still waits on. */
export async function waitDeleted(rt: Runtime, targets: readonly DeleteTarget[], timeoutMs: number): Promise<void> {
  if (targets.length === 0) return;
  const api = await rt.api();
  const progress = new Progress(rt.io);
  const deadline = rt.io.now() + timeoutMs;
  let left = [...targets];
  try {
    for (;;) {
      const pending: PendingDeletion[] = [];
      for (const t of left) {
        try {
          pending.push(pendingOf(t, fromProtoObject(await api.get(t.kind, t.name)) as ShownResource));
        } catch (e) {
          if ((e as HvsError).category !== 'NotFound') throw e;
          progress.done();
          rt.io.out(`${resourceName(t.kind, t.name)} deleted\n`);
        }
      }
      left = pending;
      if (pending.length === 0) return;
      if (rt.io.now() >= deadline) {
        progress.done();
        throw timeoutError(pending, targets.length, timeoutMs);
      }
      const first = pending[0]!;
      progress.update(`waiting for ${pending.length}/${targets.length} deletion(s): ${resourceName(first.kind, first.name)}: ${first.reason}: ${first.message}`);
      await rt.io.sleep(Math.min(POLL_MS, Math.max(0, deadline - rt.io.now())));
    }
  } finally {
    progress.done();
  }
}

function timeoutError(pending: PendingDeletion[], total: number, timeoutMs: number): HvsError {
  const code = 'HVS-CLI-DELETE-TIMEOUT';
  const fix = 'wait longer with --timeout (the deletions go on), or see docs/troubleshooting.md, "A deletion stays pending"; '
    + 'a VM whose node is gone for good: hvctl delete vm NAME --force';
  const problems = pending.map((p) => ({
    code, path: resourceName(p.kind, p.name),
    message: `still deleting: finalizer ${p.finalizers.join(', ') || '(none)'} pending (${p.reason})`,
    why: p.message,
    fix: p.reason === 'NodeGone' || p.reason === 'NodeNotReady' ? `bring the node back, or if it is gone for good: hvctl delete ${p.kind === 'VirtualMachine' ? 'vm' : p.kind.toLowerCase()} ${p.name} --force` : `hvctl describe ${p.kind === 'VirtualMachine' ? 'vm' : p.kind.toLowerCase()} ${p.name}`,
  }));
  const message = `${pending.length} of ${total} object(s) were not gone within ${formatDuration(timeoutMs)}`;
  return new HvsError({ code, category: 'DeadlineExceeded', message, fix, problems: [{ code, message, fix }, ...problems] });
}
