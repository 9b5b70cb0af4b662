/**
 * The gRPC edge of every handler: the caller's context from metadata, the domain error as
 * status + `hvs-error-bin` trailer (libs/proto's table, every problem included), metrics per
 * method and status, and a log line for internal faults (whose text never reaches clients).
 */
import { status, type handleUnaryCall, type Metadata, type ServerErrorResponse, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { isHvsError, type HvsError } from '@hvs/domain';
import { serveGrpcStream, toServiceError, type GrpcStreamOptions, type StreamSource } from '@hvs/proto';
import type { Logger } from 'pino';
import type { Metrics } from '../../observability';
import { ACTOR_HEADER, callContext, type CallContext } from '../../services/call-context';

export interface GrpcEdge {
  metrics: Metrics;
  log: Logger;
}

export function contextOf(metadata: Metadata): CallContext {
  return callContext(metadata.get(ACTOR_HEADER)[0]);
}

/** The status a failed call answers with; logs what is not a domain error. */
export function failure(edge: GrpcEdge, method: string, e: unknown): ServerErrorResponse {
  if (!isHvsError(e) || e.category === 'Internal') edge.log.error({ err: e, method }, 'gRPC call failed');
  return toServiceError(e);
}

/** A unary handler that delegates to `fn`, measured as `method` (e.g. `ResourceService/Apply`); `call` gives its TLS peer. */
export function unary<Req, Res>(edge: GrpcEdge, method: string, fn: (req: Req, ctx: CallContext, call: ServerUnaryCall<Req, Res>) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const done = (code: status) => edge.metrics.observeApiRequest('grpc', method, status[code] ?? String(code), Number(process.hrtime.bigint() - started) / 1e9);
    let pending: Promise<Res>;
    try {
      pending = fn(call.request, contextOf(call.metadata), call);
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(
      (res) => {
        done(status.OK);
        callback(null, res);
      },
      (e: unknown) => {
        const err = failure(edge, method, e);
        done(err.code ?? status.UNKNOWN);
        callback(err);
      },
    );
  };
}

/**
 * A server-streaming handler: `open` gives the source (a throw ends the call with its status
 * before any message); back-pressure, cancellation and error mapping are libs/proto's
 * serveGrpcStream, the same for every stream.
 */
export function serverStream<Req, Msg>(edge: GrpcEdge, method: string, open: (req: Req, ctx: CallContext, call: ServerWritableStream<Req, Msg>) => StreamSource<Msg>,
  errorMessage?: GrpcStreamOptions<Msg>['errorMessage']): (call: ServerWritableStream<Req, Msg>) => void {
  return (call) => void serveGrpcStream(call as ServerWritableStream<unknown, Msg>, () => open(call.request, contextOf(call.metadata), call), {
    errorMessage, tracking: { streams: edge.metrics.streams, method }, onError: (e) => void failure(edge, method, e),
  });
}

/** An UNIMPLEMENTED answer that still carries an HvsError (code, why, fix) in the trailer. */
export function unimplemented(err: HvsError): ServerErrorResponse {
  const out = toServiceError(err);
  out.code = status.UNIMPLEMENTED;
  return out;
}
