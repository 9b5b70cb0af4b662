/**
 * hvs.v1.EventService over gRPC: List and Watch delegate to EventService. A Watch stream
 * stays open across etcd reconnects (the service resumes server-side); a failure after the
 * stream started (history compacted: OUT_OF_RANGE with HVS-STORE-WATCH-GONE, list again;
 * etcd unreachable for longer than the reconnect window: UNAVAILABLE) ends the call with that
 * status and the hvs-error-bin trailer, since Event has no error variant.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { v1 } from '@hvs/proto';
import type { StoredEvent } from '../../events';
import type { EventService } from '../../services';
import { failure, unary, type GrpcEdge } from './grpc-call';

export function protoEvent(e: StoredEvent): v1.Event {
  return {
    time: e.time, kind: e.kind, name: e.name, uid: e.uid, type: e.type, reason: e.reason, message: e.message,
    source: e.source, node: e.node, resourceVersion: e.resourceVersion, count: e.count, firstTime: e.firstTime,
  };
}

export function eventHandlers(service: EventService, edge: GrpcEdge): v1.EventServiceServer {
  return {
    list: unary(edge, 'EventService/List', async (r: v1.EventListRequest) => {
      const l = await service.list({ kind: r.kind, name: r.name, since: r.since }, r.limit);
      return { events: l.events.map(protoEvent), resourceVersion: l.revision };
    }),
    watch: (call) => void streamEvents(service, edge, call),
  };
}

async function streamEvents(service: EventService, edge: GrpcEdge, call: ServerWritableStream<v1.EventWatchRequest, v1.Event>): Promise<void> {
  const r = call.request;
  let stream;
  try {
    stream = service.watch({ kind: r.kind, name: r.name, resourceVersion: r.resourceVersion });
  } catch (e) {
    call.emit('error', failure(edge, 'EventService/Watch', e));
    return;
  }
  call.on('cancelled', () => void stream.close());
  try {
    for await (const e of stream) {
      if (call.cancelled) break;
      call.write(protoEvent(e));
    }
    if (!call.cancelled) call.end();
  } catch (e) {
    if (!call.cancelled) call.emit('error', failure(edge, 'EventService/Watch', e));
  } finally {
    await stream.close();
  }
}
