/**
 * hvs.v1.EventService over gRPC: List and Watch delegate to EventService. A Watch stream
 * stays open across etcd reconnects (the service resumes server-side); a failure after the
 * stream started (history compacted: OUT_OF_RANGE with HVS-STORE-WATCH-GONE, list again;
 * etcd unreachable for longer than the reconnect window: UNAVAILABLE) ends the call with that
 * status and the hvs-error-bin trailer, since Event has no error variant.
 */
import { mapStream, type v1 } from '@hvs/proto';
import type { StoredEvent } from '../../events';
import type { EventService } from '../../services';
import { serverStream, unary, type GrpcEdge } from './grpc-call';

export function protoEvent(e: StoredEvent): v1.Event {
  return {
    time: e.time, kind: e.kind, name: e.name, uid: e.uid, type: e.type, reason: e.reason, message: e.message,
    source: e.source, node: e.node, resourceVersion: e.resourceVersion, count: e.count, firstTime: e.firstTime,
  };
}

export function eventHandlers(service: EventService, edge: GrpcEdge): v1.EventServiceServer {
  return {
    list: unary(edge, 'EventService/List', async (r: v1.EventListRequest, ctx) => {
      const l = await service.list({ kind: r.kind, name: r.name, since: r.since }, r.limit, ctx);
      return { events: l.events.map(protoEvent), resourceVersion: l.revision };
    }),
    watch: serverStream(edge, 'EventService/Watch', (r: v1.EventWatchRequest, ctx) =>
      mapStream(service.watch({ kind: r.kind, name: r.name, resourceVersion: r.resourceVersion }, ctx), protoEvent)),
  };
}
