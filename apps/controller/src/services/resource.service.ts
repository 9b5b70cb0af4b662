/**
 * Apply, plan, get, list, watch and delete for every kind: the one service both transports
 * call. Guarantees:
 * - apply validates EVERY document first (all problems, with positions) and then writes all
 *   changes, their audit records and any prunes in ONE store batch (one etcd transaction),
 *   or nothing;
 * - the plan shown is the plan written: writes are pinned to the versions the plan read; a
 *   concurrent change makes the service re-read and re-plan (up to 3 times), unless the
 *   document itself pinned a resourceVersion, which then fails with Conflict;
 * - plan and dry-run apply write nothing, not even an audit record;
 * - every store call is bounded by the store's deadline (Unavailable, never a hang);
 * - no answer carries a Secret value or VM cloud-init in plain text, except `get` with
 *   `reveal` to a caller allowed it (secret-view.ts).
 */
import {
  KIND_NAMES, matchesLabelSelector, parseLabelSelector, planObject,
  type AnyResource, type FieldChange, type LabelSelector, type ObjectPlan,
} from '@hvs/domain';
import type { ApplyAction, WirePlanAction } from '@hvs/proto';
import type { AuditEntry, AuditService } from '../audit';
import { concernOf, idleFinalizers } from '../runtime/finalizers';
import { admitBatch, refuseNetworkInUse } from '../ipam';
import type { ListResult, ObjectStore, RecordOp, StoredObject, WatchEvent, WatchStream, WriteOp } from '../store';
import { desiredOf, writeFor, type ObjectWrite } from './apply-writes';
import { loadBatch, type SourceDocument } from './batch-input';
import { admit, principalOf, visible, notVisible } from './access';
import type { CallContext } from './call-context';
import { checkHostAccess, checkSecretRefs } from './host-access';
import { checkImageSources, withUploadDigest } from './image-sources';
import { deleteTargetInvalid, kindOf, namesNotFound, revisionOf } from './errors';
import { redacted, redactedEvents, revealed } from './secret-view';
import { auditedBatch, auditFailure, retryOnConflict } from './writes';

export type { ApplyAction, WirePlanAction };

export interface AppliedObject {
  kind: string;
  name: string;
  action: ApplyAction;
  generation: number;
  changes: FieldChange[];
}

export interface ApplyOutcome {
  /** In document order, then pruned objects. */
  results: AppliedObject[];
  /** The revision the batch committed at; '' for a dry run. */
  resourceVersion: string;
}

export interface PlannedObject extends Omit<ObjectPlan, 'action'> {
  action: WirePlanAction;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** Recorded in the audit log; default `hvctl`. */
  fieldManager?: string;
  /** Label selector: objects matching it that the documents do not name are deleted in the same batch. */
  prune?: string;
}

export interface DeleteOptions {
  /** Return only once the object is gone (finalizers done) or `waitTimeoutMs` (default 30 s) passed. */
  wait?: boolean;
  /** Precondition: delete only if the object is still at this version (else Conflict). */
  resourceVersion?: string;
  waitTimeoutMs?: number;
  /**
   * Drop every finalizer unconfirmed: the object goes now (e.g. a VM whose node is gone for
   * good). Audited as `force-delete`; the outcome warns what may be left behind.
   */
  force?: boolean;
}

/** Several objects of one kind: by names, or by label selector (exactly one of them). */
export interface DeleteTarget {
  names?: readonly string[];
  labelSelector?: string;
  /** With names: skip a name that does not exist instead of failing the call. */
  ignoreNotFound?: boolean;
}

export interface DeleteOutcome {
  object: StoredObject;
  /** true when the object no longer exists; false while finalizers run. */
  gone: boolean;
  /** What the caller should know (a forced delete: what may be left on a host). */
  warnings: string[];
}

export interface GetOptions {
  /** Secret values and VM cloud-init in plain text: needs `secrets.reveal`, audited (secret-view.ts). */
  reveal?: boolean;
}

export interface WatchOptions {
  labelSelector?: string;
  /** Changes after this revision; empty: from now. */
  resourceVersion?: string;
}

interface Decision {
  plans: PlannedObject[];
  writes: (ObjectWrite & { kind: string; name: string; prune: boolean })[];
  /** IPAM reservations (apps/controller/src/ipam), written in the same transaction. */
  records: RecordOp[];
}

export const DEFAULT_DELETE_WAIT_MS = 30_000;

export interface ResourceServiceOptions {
  /** HVS_IMAGE_URL_PREFIXES: an Image's source.url must start with one (empty: any http/https). */
  imageUrlPrefixes?: readonly string[];
}

export class ResourceService {
  constructor(private readonly store: ObjectStore, private readonly audit: AuditService, private readonly options: ResourceServiceOptions = {}) {}

  async apply(sources: readonly SourceDocument[], options: ApplyOptions, ctx: CallContext): Promise<ApplyOutcome> {
    let resources: AnyResource[] = [];
    if (principalOf(ctx).kind === 'anonymous') admit(ctx, 'ResourceService/Apply', { kind: 'VirtualMachine' });
    try {
      resources = loadBatch(sources);
      const prune = options.prune ? parseLabelSelector(options.prune) : undefined;
      const pinnedByUser = resources.some((r) => r.metadata.resourceVersion !== undefined);
      return await retryOnConflict(pinnedByUser, () => this.applyOnce(resources, prune, options, ctx));
    } catch (e) {
      if (!options.dryRun) await auditFailure(this.audit, e, { operation: 'apply', kind: resources[0]?.kind ?? '', name: resources[0]?.metadata.name ?? '', actor: ctx.actor });
      throw e;
    }
  }

  /** What apply would do, per object and field; writes nothing. */
  async plan(sources: readonly SourceDocument[], options: Pick<ApplyOptions, 'prune'>, ctx: CallContext): Promise<PlannedObject[]> {
    admit(ctx, 'ResourceService/Plan');
    const resources = loadBatch(sources);
    const prune = options.prune ? parseLabelSelector(options.prune) : undefined;
    return (await this.decide(resources, prune, ctx, 'ResourceService/Plan')).plans;
  }

  async get(kind: string, name: string, ctx: CallContext, options: GetOptions = {}): Promise<StoredObject> {
    admit(ctx, 'ResourceService/Get');
    const k = kindOf(kind);
    const o = await this.store.get(k, name);
    if (!visible(ctx, o.metadata.labels)) throw notVisible(k, name);
    return options.reveal ? revealed(this.audit, o, ctx) : redacted(o);
  }

  async list(kind: string, labelSelector: string | undefined, ctx: CallContext): Promise<ListResult> {
    admit(ctx, 'ResourceService/List');
    const selector = labelSelector ? parseLabelSelector(labelSelector) : undefined;
    const l = await this.store.list(kindOf(kind), { labelSelector: selector });
    return { ...l, items: l.items.filter((o) => visible(ctx, o.metadata.labels)).map(redacted) };
  }

  /**
   * Changes of `kind` after `resourceVersion`, filtered by the selector on the object's labels
   * as they are after the change (an object whose labels stop matching is not reported).
   * Throws for a bad kind, selector or revision before anything is streamed.
   */
  watch(kind: string, options: WatchOptions, ctx: CallContext): WatchStream {
    admit(ctx, 'ResourceService/Watch');
    const k = kindOf(kind);
    const selector = options.labelSelector ? parseLabelSelector(options.labelSelector) : undefined;
    const inner = redactedEvents(this.store.watch(k, revisionOf(options.resourceVersion)));
    return filtered(inner, (labels) => (selector === undefined || matchesLabelSelector(selector, labels)) && visible(ctx, labels));
  }

  /**
   * Deletes several objects of one kind in ONE store batch (one etcd transaction) with their
   * audit records, or nothing: a missing name fails the call (NotFound, one problem per name)
   * unless ignoreNotFound; a selector matching nothing deletes nothing. Each object is read and
   * its delete pinned to that version, so a concurrent change re-reads (up to 3 times). With
   * wait, returns when every object is gone or the timeout passed (the deletions go on).
   * Finalizers are handled as in `delete` (idle ones dropped, all of them with `force`).
   */
  async deleteMany(kind: string, target: DeleteTarget, options: Omit<DeleteOptions, 'resourceVersion'>, ctx: CallContext): Promise<DeleteOutcome[]> {
    const k = kindOf(kind);
    admit(ctx, 'ResourceService/Delete', { kind: k });
    const names = [...new Set(target.names ?? [])];
    const what = target.labelSelector ? `-l ${target.labelSelector}` : names.join(',');
    const force = options.force === true;
    try {
      if ((names.length > 0) === (target.labelSelector !== undefined && target.labelSelector.trim() !== '')) {
        throw deleteTargetInvalid('give either names or a label selector to delete several objects', 'e.g. `hvctl delete vm a b c` or `hvctl delete vm -l app=web`');
      }
      const selector = names.length === 0 ? parseLabelSelector(target.labelSelector!) : undefined;
      const { results, revision, warnings } = await retryOnConflict(false, async () => {
        let currents: StoredObject[];
        if (selector !== undefined) {
          currents = (await this.store.list(k, { labelSelector: selector })).items.filter((o) => visible(ctx, o.metadata.labels));
        } else {
          const found = (await this.store.getMany(names.map((name) => ({ kind: k, name })))).map((o) => (o && visible(ctx, o.metadata.labels) ? o : undefined));
          const missing = names.filter((_, i) => found[i] === undefined);
          if (missing.length > 0 && !target.ignoreNotFound) throw namesNotFound(k, missing, names.length);
          currents = found.filter((o): o is StoredObject => o !== undefined);
        }
        if (currents.length === 0) return { results: [], revision: '', warnings: [] };
        for (const c of currents) admit(ctx, 'ResourceService/Delete', { kind: k, name: c.metadata.name, labels: c.metadata.labels ?? {} });
        if (k === 'Network') await refuseNetworkInUse(this.store, currents.map((c) => c.metadata.name));
        const planned = currents.map((c) => deletionOf(k, c, c.metadata.resourceVersion, force, ctx));
        const batch = await auditedBatch(this.store, this.audit, planned.map((d) => d.op), planned.map((d) => d.entry));
        return { results: batch.results, revision: batch.revision, warnings: planned.map((d) => d.warnings) };
      });
      const outcomes = results.map((r, i) => ({ object: redacted(r.object), gone: r.outcome === 'deleted', warnings: warnings[i] ?? [] }));
      if (!options.wait) return outcomes;
      const timeoutMs = options.waitTimeoutMs ?? DEFAULT_DELETE_WAIT_MS;
      return await Promise.all(outcomes.map(async (o) => (o.gone ? o : { ...(await this.waitGone(k, o.object.metadata.name, o.object, revision, timeoutMs)), warnings: o.warnings })));
    } catch (e) {
      await auditFailure(this.audit, e, { operation: force ? 'force-delete' : 'delete', kind: k, name: what.slice(0, 253), actor: ctx.actor });
      throw e;
    }
  }

  /**
   * Deletes, or starts the deletion of, one object. Finalizers whose concern has nothing to
   * clean up (a VM never bound to a node) are dropped in the same write, so such an object goes
   * at once; the others stay until their loop confirms the clean-up (apps/controller/src/deletion).
   */
  async delete(kind: string, name: string, options: DeleteOptions, ctx: CallContext): Promise<DeleteOutcome> {
    const k = kindOf(kind);
    admit(ctx, 'ResourceService/Delete', { kind: k, name });
    const pinned = revisionOf(options.resourceVersion);
    const operation = options.force ? 'force-delete' : 'delete';
    try {
      const { outcome, revision, warnings } = await retryOnConflict(pinned !== undefined, async () => {
        const current = await this.store.get(k, name);
        if (!visible(ctx, current.metadata.labels)) throw notVisible(k, name);
        admit(ctx, 'ResourceService/Delete', { kind: k, name, labels: current.metadata.labels ?? {} });
        if (k === 'Network') await refuseNetworkInUse(this.store, [name]);
        const d = deletionOf(k, current, pinned ?? current.metadata.resourceVersion, options.force === true, ctx);
        const batch = await auditedBatch(this.store, this.audit, [d.op], [d.entry]);
        return { outcome: batch.results[0]!, revision: batch.revision, warnings: d.warnings };
      });
      const gone = outcome.outcome === 'deleted';
      if (gone || !options.wait) return { object: redacted(outcome.object), gone, warnings };
      return { ...(await this.waitGone(k, name, redacted(outcome.object), revision, options.waitTimeoutMs ?? DEFAULT_DELETE_WAIT_MS)), warnings };
    } catch (e) {
      await auditFailure(this.audit, e, { operation, kind: k, name, actor: ctx.actor });
      throw e;
    }
  }

  private async applyOnce(resources: AnyResource[], prune: LabelSelector | undefined, options: ApplyOptions, ctx: CallContext): Promise<ApplyOutcome> {
    const { plans, writes, records } = await this.decide(resources, prune, ctx, 'ResourceService/Apply');
    const resultOf = (w: Decision['writes'][number], i: number, generation: number): AppliedObject => ({
      kind: w.kind, name: w.name, generation, changes: plans[i]!.changes,
      action: w.prune ? 'pruned' : plans[i]!.action === 'create' ? 'created' : plans[i]!.action === 'update' ? 'configured' : 'unchanged',
    });
    if (options.dryRun) return { results: writes.map((w, i) => resultOf(w, i, w.generationAfter)), resourceVersion: '' };
    const changing = writes.filter((w) => w.op !== undefined);
    const entries: Omit<AuditEntry, 'result'>[] = changing.map((w) => ({
      operation: w.prune ? 'prune' : 'apply', kind: w.kind, name: w.name, actor: ctx.actor,
      generationBefore: w.generationBefore, generationAfter: w.generationAfter,
      ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}),
    }));
    const batch = changing.length === 0 && records.length === 0 ? undefined : await auditedBatch(this.store, this.audit, changing.map((w) => w.op!), entries, records);
    const written = new Map(batch?.results.map((r) => [`${r.kind}/${r.name}`, r.object]) ?? []);
    return {
      results: writes.map((w, i) => resultOf(w, i, written.get(w.key)?.metadata.generation ?? w.generationAfter)),
      resourceVersion: batch?.revision ?? '',
    };
  }

  /** Reads what the batch touches and decides plan and writes; no writes. */
  private async decide(resources: AnyResource[], prune: LabelSelector | undefined, ctx: CallContext, method: 'ResourceService/Apply' | 'ResourceService/Plan'): Promise<Decision> {
    // One read for every document (one etcd transaction), not one round trip each.
    const currents = await this.store.getMany(resources.map((r) => ({ kind: r.kind, name: r.metadata.name })));
    // Both the object as it is and as it would be must be the caller's to write (a scoped role
    // can neither touch another team's object nor relabel its own into another team).
    resources.forEach((r, i) => {
      const target = { kind: r.kind, name: r.metadata.name };
      admit(ctx, method, { ...target, labels: r.metadata.labels ?? {} });
      const current = currents[i];
      if (current !== undefined) admit(ctx, method, { ...target, labels: current.metadata.labels ?? {} });
    });
    await checkHostAccess(this.store, resources, ctx);
    await checkSecretRefs(this.store, resources, ctx);
    checkImageSources(resources, currents, ctx, this.options.imageUrlPrefixes);
    const plans: PlannedObject[] = [];
    const writes: Decision['writes'] = [];
    // References, Network defaults and overlaps, address reservations: refused here writes nothing.
    const admitted = await admitBatch(this.store, resources.map((r, i) => ({ desired: withUploadDigest(desiredOf(r, currents[i]), currents[i]), current: currents[i] })));
    resources.forEach((r, i) => {
      const desired = admitted.desired[i]!;
      const plan = planObject(currents[i], desired);
      plans.push(plan);
      writes.push({ ...writeFor(desired, currents[i], plan.action, admitted.uids[i]), kind: r.kind, name: r.metadata.name, prune: false });
    });
    if (prune !== undefined) {
      const named = new Set(writes.map((w) => w.key));
      const lists = await Promise.all(KIND_NAMES.map((k) => this.store.list(k, { labelSelector: prune })));
      for (const o of lists.flatMap((l) => l.items)) {
        const key = `${o.kind}/${o.metadata.name}`;
        if (named.has(key) || o.metadata.deletionTimestamp || !visible(ctx, o.metadata.labels)) continue;
        admit(ctx, method, { kind: o.kind, name: o.metadata.name, labels: o.metadata.labels ?? {} });
        const generation = o.metadata.generation ?? 1;
        plans.push({ kind: o.kind, name: o.metadata.name, action: 'delete', changes: [] });
        writes.push({
          key, kind: o.kind, name: o.metadata.name, prune: true, generationBefore: generation, generationAfter: generation,
          op: { op: 'delete', kind: o.kind, name: o.metadata.name, resourceVersion: o.metadata.resourceVersion, dropFinalizers: idleFinalizers(o) },
        });
      }
    }
    return { plans, writes, records: admitted.records };
  }

  private async waitGone(kind: string, name: string, last: StoredObject, revision: string, timeoutMs: number): Promise<Omit<DeleteOutcome, 'warnings'>> {
    const stream = this.store.watch(kind, revision);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const gone = (async () => {
      for await (const ev of stream) if (ev.type === 'DELETED' && ev.object.metadata.name === name) return ev.object;
      return undefined;
    })();
    try {
      const r = await Promise.race([gone, timeout]);
      return r === 'timeout' || r === undefined ? { object: last, gone: false } : { object: redacted(r), gone: true };
    } finally {
      clearTimeout(timer);
      await stream.close();
    }
  }
}

/**
 * One object's delete op, its audit entry and its warnings. Finalizers with nothing to clean up
 * are dropped in the same write (the object goes at once when no other remains); `force` drops
 * every one (audited as force-delete, a warning per finalizer dropped unconfirmed).
 */
function deletionOf(kind: string, current: StoredObject, resourceVersion: string | undefined, force: boolean, ctx: CallContext) {
  const generation = current.metadata.generation ?? 1;
  const idle = idleFinalizers(current);
  const op: WriteOp = { op: 'delete', kind, name: current.metadata.name, resourceVersion, dropFinalizers: force ? [...(current.metadata.finalizers ?? [])] : idle };
  const entry: Omit<AuditEntry, 'result'> = {
    operation: force ? 'force-delete' : 'delete', kind, name: current.metadata.name, uid: current.metadata.uid,
    generationBefore: generation, generationAfter: generation, actor: ctx.actor,
  };
  return { op, entry, warnings: force ? forceWarnings(current, idle) : [] };
}

/** One warning per finalizer a force dropped unconfirmed (idle ones had nothing to clean up). */
function forceWarnings(current: StoredObject, idle: readonly string[]): string[] {
  return (current.metadata.finalizers ?? []).filter((f) => !idle.includes(f)).map((f) => {
    const concern = concernOf(f);
    return `forced past finalizer ${f}: ${concern ? concern.leftovers(current) : 'its clean-up was not confirmed'}`;
  });
}

function filtered(inner: WatchStream, keep: (labels: Record<string, string> | undefined) => boolean): WatchStream {
  return {
    async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
      for await (const ev of inner) if (keep(ev.object.metadata.labels)) yield ev;
    },
    close: () => inner.close(),
    get buffered() {
      return inner.buffered;
    },
  };
}
