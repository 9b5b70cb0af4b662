/**
 * Start, stop and restart VMs by name and/or label selector. Each is an ordinary
 * level-triggered write of the desired state, never a command to a host: start/stop set
 * spec.runState; restart sets runState Running and bumps the `hvs.dev/restartedAt`
 * annotation, which the agent acts on once. Each VM is written in its own transaction (with
 * its audit record) and gets its own result: one missing VM does not stop the others.
 */
import { HvsError, isHvsError, parseLabelSelector, type Problem } from '@hvs/domain';
import type { AuditService } from '../audit';
import type { ObjectStore, StoredObject } from '../store';
import { SYSTEM_ANNOTATION_PREFIX } from './apply-writes';
import { admit, notVisible, visible } from './access';
import type { CallContext } from './call-context';
import { auditedBatch, auditFailure, retryOnConflict } from './writes';

export type VmAction = 'start' | 'stop' | 'restart';

export const RESTARTED_AT_ANNOTATION = `${SYSTEM_ANNOTATION_PREFIX}restartedAt`;
const VM = 'VirtualMachine';

export interface VmTargets {
  names?: readonly string[];
  /** Also every VM matching this selector. */
  labelSelector?: string;
}

export interface VmActionResult {
  name: string;
  ok: boolean;
  /** false when the VM was already in the wanted state. */
  changed: boolean;
  /** status.phase when the call returned ('' before the first status). */
  phase: string;
  error?: Problem;
}

interface VmSpecLike {
  runState?: string;
}

export class VmService {
  constructor(private readonly store: ObjectStore, private readonly audit: AuditService, private readonly clock: () => Date = () => new Date()) {}

  start(targets: VmTargets, ctx: CallContext): Promise<VmActionResult[]> {
    return this.act('start', targets, ctx);
  }

  stop(targets: VmTargets, ctx: CallContext): Promise<VmActionResult[]> {
    return this.act('stop', targets, ctx);
  }

  restart(targets: VmTargets, ctx: CallContext): Promise<VmActionResult[]> {
    return this.act('restart', targets, ctx);
  }

  private async act(action: VmAction, targets: VmTargets, ctx: CallContext): Promise<VmActionResult[]> {
    const method = action === 'start' ? 'VmService/Start' : action === 'stop' ? 'VmService/Stop' : 'VmService/Restart';
    admit(ctx, method);
    const names = await this.targetNames(targets, ctx);
    const results: VmActionResult[] = [];
    for (const name of names) results.push(await this.actOn(action, method, name, ctx));
    return results;
  }

  /** Named VMs first (in the order given), then selected ones, each once. */
  private async targetNames(targets: VmTargets, ctx: CallContext): Promise<string[]> {
    const names = [...(targets.names ?? [])];
    if (targets.labelSelector) {
      const { items } = await this.store.list(VM, { labelSelector: parseLabelSelector(targets.labelSelector) });
      names.push(...items.filter((o) => visible(ctx, o.metadata.labels)).map((o) => o.metadata.name));
    }
    if (names.length === 0) {
      throw new HvsError({
        code: 'HVS-VM-ACTION-NO-TARGET', category: 'InvalidArgument',
        message: targets.labelSelector ? `no VM matches the selector "${targets.labelSelector}"` : 'no VM was named',
        why: 'start, stop and restart act on VMs named and/or selected by labels',
        fix: 'name the VMs (`hvctl start web-1 web-2`) or select them (`hvctl start -l app=web`); `hvctl get vm --show-labels` lists them',
      });
    }
    return [...new Set(names)];
  }

  private async actOn(action: VmAction, method: 'VmService/Start' | 'VmService/Stop' | 'VmService/Restart', name: string, ctx: CallContext): Promise<VmActionResult> {
    try {
      return await retryOnConflict(false, async () => {
        const current = await this.store.get(VM, name);
        if (!visible(ctx, current.metadata.labels)) throw notVisible(VM, name);
        admit(ctx, method, { kind: VM, name, labels: current.metadata.labels ?? {} });
        const next = this.changed(action, current);
        const phase = phaseOf(current);
        if (next === undefined) return { name, ok: true, changed: false, phase };
        const generation = current.metadata.generation ?? 1;
        const entry = { operation: action, kind: VM, name, uid: current.metadata.uid, actor: ctx.actor, generationBefore: generation, generationAfter: generation + (action === 'restart' && runState(current) === 'Running' ? 0 : 1) };
        const batch = await auditedBatch(this.store, this.audit, [{ op: 'update', object: next }], [entry]);
        return { name, ok: true, changed: true, phase: phaseOf(batch.results[0]!.object) };
      });
    } catch (e) {
      await auditFailure(this.audit, e, { operation: action, kind: VM, name, actor: ctx.actor });
      if (!isHvsError(e)) throw e;
      const { code, path, message, why, fix } = e;
      return { name, ok: false, changed: false, phase: '', error: { code, message, fix, ...(path ? { path } : {}), ...(why ? { why } : {}) } };
    }
  }

  /** The object to write, pinned to the version read; undefined when nothing changes. */
  private changed(action: VmAction, current: StoredObject): StoredObject | undefined {
    const wanted = action === 'stop' ? 'Stopped' : 'Running';
    const annotations = { ...(current.metadata.annotations ?? {}) };
    if (action === 'restart') annotations[RESTARTED_AT_ANNOTATION] = this.clock().toISOString();
    else if (runState(current) === wanted) return undefined;
    return {
      ...current,
      metadata: { ...current.metadata, annotations },
      spec: { ...(current.spec as object), runState: wanted },
    };
  }
}

function runState(o: StoredObject): string {
  return (o.spec as VmSpecLike | undefined)?.runState ?? 'Running';
}

function phaseOf(o: StoredObject): string {
  return (o.status as { phase?: string } | undefined)?.phase ?? '';
}
