/**
 * hvs.v1.ResourceService over gRPC: each method converts the message and delegates to
 * ResourceService in one line. Watch streams WatchEvents; a failure after the stream started
 * is sent as one ERROR event (category Gone: list again), then the stream ends.
 */
import { isHvsError } from '@hvs/domain';
import { errorToDetails, toProtoFieldChange, toProtoObject, toProtoPlan, v1 } from '@hvs/proto';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { StoredObject, WatchEvent } from '../../store';
import type { ApplyOutcome, ResourceService } from '../../services/resource.service';
import type { SourceDocument } from '../../services/batch-input';
import { failure, unary, type GrpcEdge } from './grpc-call';

const ACTIONS = { created: v1.ApplyAction.CREATED, configured: v1.ApplyAction.CONFIGURED, unchanged: v1.ApplyAction.UNCHANGED, pruned: v1.ApplyAction.PRUNED } as const;
const EVENT_TYPES = { ADDED: v1.WatchEventType.ADDED, MODIFIED: v1.WatchEventType.MODIFIED, DELETED: v1.WatchEventType.DELETED } as const;

export function protoObject(o: StoredObject): v1.ApiObject {
  return toProtoObject(o as Parameters<typeof toProtoObject>[0]);
}

/** Proto documents carry a 0-based index; errors name documents 1-based, as files do. */
function sources(docs: v1.Document[]): SourceDocument[] {
  return docs.map((d) => ({ content: d.manifestJson, file: d.source || 'request', index: d.index + 1, line: d.line }));
}

function applyResponse(o: ApplyOutcome): v1.ApplyResponse {
  return {
    results: o.results.map((r) => ({ kind: r.kind, name: r.name, action: ACTIONS[r.action], generation: r.generation, changes: r.changes.map(toProtoFieldChange) })),
    resourceVersion: o.resourceVersion,
  };
}

function watchEvent(e: WatchEvent): v1.WatchEvent {
  return { type: EVENT_TYPES[e.type], object: protoObject(e.object), resourceVersion: e.revision };
}

export function resourceHandlers(service: ResourceService, edge: GrpcEdge): v1.ResourceServiceServer {
  return {
    apply: unary(edge, 'ResourceService/Apply', async (r: v1.ApplyRequest, ctx) =>
      applyResponse(await service.apply(sources(r.documents), { dryRun: r.dryRun, fieldManager: r.fieldManager || undefined, prune: r.pruneSelector || undefined }, ctx))),
    plan: unary(edge, 'ResourceService/Plan', async (r: v1.PlanRequest) =>
      ({ objects: (await service.plan(sources(r.documents), { prune: r.pruneSelector || undefined })).map(toProtoPlan), resourceVersion: '' })),
    get: unary(edge, 'ResourceService/Get', async (r: v1.GetRequest) => protoObject(await service.get(r.kind, r.name))),
    list: unary(edge, 'ResourceService/List', async (r: v1.ListRequest) => {
      const l = await service.list(r.kind, r.labelSelector);
      return { items: l.items.map(protoObject), resourceVersion: l.revision, continueToken: '' };
    }),
    watch: (call) => void streamWatch(service, edge, call),
    delete: unary(edge, 'ResourceService/Delete', async (r: v1.DeleteRequest, ctx) => {
      const d = await service.delete(r.kind, r.name, { wait: r.wait, resourceVersion: r.resourceVersion, waitTimeoutMs: r.waitTimeoutMs || undefined, force: r.force === true }, ctx);
      return { object: protoObject(d.object), gone: d.gone, warnings: d.warnings };
    }),
  };
}

async function streamWatch(service: ResourceService, edge: GrpcEdge, call: ServerWritableStream<v1.WatchRequest, v1.WatchEvent>): Promise<void> {
  const r = call.request;
  let stream;
  try {
    stream = service.watch(r.kind, { labelSelector: r.labelSelector, resourceVersion: r.resourceVersion });
  } catch (e) {
    call.emit('error', failure(edge, 'ResourceService/Watch', e));
    return;
  }
  call.on('cancelled', () => void stream.close());
  try {
    for await (const ev of stream) {
      if (call.cancelled) break;
      call.write(watchEvent(ev));
    }
  } catch (e) {
    if (!call.cancelled) {
      if (!isHvsError(e)) failure(edge, 'ResourceService/Watch', e);
      const err = isHvsError(e) ? e : undefined;
      call.write({ type: v1.WatchEventType.ERROR, resourceVersion: '', error: err ? errorToDetails(err) : { code: 'HVS-INTERNAL', category: 'Internal', message: 'the watch failed', why: '', fix: 'watch again; the server log has details', path: '', problems: [] } });
    }
  } finally {
    await stream.close();
    if (!call.cancelled) call.end();
  }
}
