/**
 * hvs.v1.ResourceService over gRPC: each method converts the message and delegates to
 * ResourceService in one line. Watch streams WatchEvents; a failure after the stream started
 * is sent as one ERROR event (category Gone: list again), then the stream ends.
 */
import type { HvsError } from '@hvs/domain';
import { applyActions, errorToDetails, mapStream, toProtoFieldChange, toProtoObject, toProtoPlan, v1, watchEventTypes } from '@hvs/proto';
import type { StoredObject, WatchEvent } from '../../store';
import type { ApplyOutcome, DeleteOutcome, ResourceService } from '../../services/resource.service';
import type { CallContext } from '../../services/call-context';
import { deleteTargetInvalid } from '../../services/errors';
import type { SourceDocument } from '../../services/batch-input';
import { serverStream, unary, type GrpcEdge } from './grpc-call';


export function protoObject(o: StoredObject): v1.ApiObject {
  return toProtoObject(o);
}

/** Proto documents carry a 0-based index; errors name documents 1-based, as files do. */
function sources(docs: v1.Document[]): SourceDocument[] {
  return docs.map((d) => ({ content: d.manifestJson, file: d.source || 'request', index: d.index + 1, line: d.line }));
}

function applyResponse(o: ApplyOutcome): v1.ApplyResponse {
  return {
    results: o.results.map((r) => ({ kind: r.kind, name: r.name, action: applyActions.toProto(r.action), generation: r.generation, changes: r.changes.map(toProtoFieldChange) })),
    resourceVersion: o.resourceVersion,
  };
}

/** One name (with its optional resourceVersion precondition), or several by names or selector in one batch. */
async function deleteOf(service: ResourceService, r: v1.DeleteRequest, ctx: CallContext): Promise<DeleteOutcome[]> {
  const wait = { wait: r.wait, waitTimeoutMs: r.waitTimeoutMs || undefined, force: r.force === true };
  if (r.names.length === 0 && r.labelSelector === '') return [await service.delete(r.kind, r.name, { ...wait, resourceVersion: r.resourceVersion }, ctx)];
  if (r.name !== '' || r.resourceVersion !== '') throw deleteTargetInvalid('name and resourceVersion go with a delete of one object, not with names or a label selector', 'put every name in names (without resourceVersion), or delete one object by name');
  return service.deleteMany(r.kind, { names: r.names, ...(r.labelSelector !== '' ? { labelSelector: r.labelSelector } : {}), ignoreNotFound: r.ignoreNotFound }, wait, ctx);
}

function deleteResponse(outcomes: DeleteOutcome[]): v1.DeleteResponse {
  const results = outcomes.map((d) => ({ object: protoObject(d.object), gone: d.gone, warnings: d.warnings }));
  return { object: results[0]?.object, gone: results[0]?.gone ?? false, results };
}

function watchEvent(e: WatchEvent): v1.WatchEvent {
  return { type: watchEventTypes.toProto(e.type), object: protoObject(e.object), resourceVersion: e.revision };
}

/** A failure after the stream started: the last event, type ERROR (category Gone: list again). */
function watchError(err: HvsError): v1.WatchEvent {
  return { type: v1.WatchEventType.ERROR, resourceVersion: '', error: errorToDetails(err) };
}

export function resourceHandlers(service: ResourceService, edge: GrpcEdge): v1.ResourceServiceServer {
  return {
    apply: unary(edge, 'ResourceService/Apply', async (r: v1.ApplyRequest, ctx) =>
      applyResponse(await service.apply(sources(r.documents), { dryRun: r.dryRun, fieldManager: r.fieldManager || undefined, prune: r.pruneSelector || undefined }, ctx))),
    plan: unary(edge, 'ResourceService/Plan', async (r: v1.PlanRequest, ctx) =>
      ({ objects: (await service.plan(sources(r.documents), { prune: r.pruneSelector || undefined }, ctx)).map(toProtoPlan), resourceVersion: '' })),
    get: unary(edge, 'ResourceService/Get', async (r: v1.GetRequest, ctx) => protoObject(await service.get(r.kind, r.name, ctx, { reveal: r.reveal === true }))),
    list: unary(edge, 'ResourceService/List', async (r: v1.ListRequest, ctx) => {
      const l = await service.list(r.kind, r.labelSelector, ctx);
      return { items: l.items.map(protoObject), resourceVersion: l.revision, continueToken: '' };
    }),
    watch: serverStream(edge, 'ResourceService/Watch', (r: v1.WatchRequest, ctx) =>
      mapStream(service.watch(r.kind, { labelSelector: r.labelSelector, resourceVersion: r.resourceVersion }, ctx), watchEvent), watchError),
    delete: unary(edge, 'ResourceService/Delete', async (r: v1.DeleteRequest, ctx) => deleteResponse(await deleteOf(service, r, ctx))),
  };
}
