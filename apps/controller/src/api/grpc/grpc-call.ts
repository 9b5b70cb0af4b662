/**
 * The gRPC edge of every handler: the caller's verified identity (identity/Authenticator, from
 * the TLS client certificate or `authorization: Bearer`), the domain error as status +
 * `hvs-error-bin` trailer (libs/proto's table, every problem included), refusals recorded
 * (services/refusals.ts), metrics per method and status, and a log line for internal faults
 * (whose text never reaches clients).
 */
import { status, type handleClientStreamingCall, type handleUnaryCall, type Metadata, type ServerErrorResponse, type ServerReadableStream, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { HvsError, isHvsError } from '@hvs/domain';
import { serveGrpcStream, toServiceError, type GrpcStreamOptions, type StreamSource } from '@hvs/proto';
import type { Logger } from 'pino';
import { bearerOf, type Authenticator } from '../../identity';
import type { Metrics } from '../../observability';
import { peerCertificateOf } from '../../pki';
import { admit } from '../../services/access';
import { contextFor, type CallContext } from '../../services/call-context';
import { notImplemented } from '../../services/errors';
import type { ApiMethod } from '../../services/method-permissions';
import type { Refusals } from '../../services/refusals';
import { checkParsed } from './message-guard';

export interface GrpcEdge {
  metrics: Metrics;
  log: Logger;
  authenticator: Authenticator;
  refusals: Refusals;
}

type AuthCall = Parameters<typeof peerCertificateOf>[0] & { metadata: Metadata };

/** Who is calling: verified from the TLS peer certificate or the bearer token in the metadata. */
export async function contextOf(edge: GrpcEdge, call: AuthCall): Promise<CallContext> {
  const raw = peerCertificateOf(call);
  const bearer = bearerOf(call.metadata.get('authorization')[0]);
  return contextFor(await edge.authenticator.authenticate({ ...(raw ? { certificate: raw } : {}), ...(bearer !== undefined ? { bearer } : {}) }));
}

/** The status a failed call answers with; logs what is not a domain error, records refusals. */
export function failure(edge: GrpcEdge, method: string, e: unknown, ctx?: CallContext): ServerErrorResponse {
  if (!isHvsError(e) || e.category === 'Internal') edge.log.error({ err: e, method }, 'gRPC call failed');
  else edge.refusals.record('grpc', method, e, ctx);
  return toServiceError(e);
}

/** A unary handler that delegates to `fn`, measured as `method` (e.g. `ResourceService/Apply`); `call` gives its TLS peer. */
export function unary<Req, Res>(edge: GrpcEdge, method: ApiMethod, fn: (req: Req, ctx: CallContext, call: ServerUnaryCall<Req, Res>) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const done = (code: status) => edge.metrics.observeApiRequest('grpc', method, status[code] ?? String(code), Number(process.hrtime.bigint() - started) / 1e9);
    let ctx: CallContext | undefined;
    contextOf(edge, call).then((c) => fn(call.request, (ctx = c), call)).then(
      (res) => {
        done(status.OK);
        callback(null, res);
      },
      (e: unknown) => {
        const err = failure(edge, method, e, ctx);
        done(err.code ?? status.UNKNOWN);
        callback(err);
      },
    );
  };
}

/**
 * A client-streaming handler, authenticated like every other call: `fn` reads the request
 * messages from the call (an async iterable; a client that cancels or goes away makes the
 * iteration throw, so `fn` can clean up) and answers once. Measured like a unary call.
 */
export function clientStream<Req, Res>(edge: GrpcEdge, method: ApiMethod, fn: (messages: AsyncIterable<Req>, ctx: CallContext, call: ServerReadableStream<Req, Res>) => Promise<Res>): handleClientStreamingCall<Req, Res> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const done = (code: status) => edge.metrics.observeApiRequest('grpc', method, status[code] ?? String(code), Number(process.hrtime.bigint() - started) / 1e9);
    let ctx: CallContext | undefined;
    // A cancelled call may end the iteration quietly. Not proof of completeness either way: a
    // client's cancel can reach grpc-js as the end of the messages before the cancel itself, so
    // a method that must not act on a cut-off stream checks what it got (ImageService/Upload:
    // the announced size).
    const messages = async function* () {
      for await (const m of call) yield checkParsed(m as Req);
      if (call.cancelled) throw cancelledUpload(method);
    };
    contextOf(edge, call).then((c) => fn(messages(), (ctx = c), call)).then(
      (res) => {
        done(status.OK);
        callback(null, res);
      },
      (e: unknown) => {
        const err = failure(edge, method, call.cancelled ? cancelledUpload(method) : e, ctx);
        done(err.code ?? status.UNKNOWN);
        // Drain what the client still sends, so an early answer is not lost in a reset stream.
        call.resume();
        callback(err);
      },
    );
  };
}

/** What a client-streaming call that the client abandoned ended with (it does not see it; logs and metrics do). */
function cancelledUpload(method: string): HvsError {
  return new HvsError({
    code: 'HVS-API-CANCELLED', category: 'FailedPrecondition',
    message: `the client cancelled ${method} before it finished sending`,
    why: 'the connection closed or the client cancelled the call; nothing of it was kept',
    fix: 'run the command again',
  });
}

/**
 * A server-streaming handler: `open` gives the source (a throw ends the call with its status
 * before any message); back-pressure, cancellation and error mapping are libs/proto's
 * serveGrpcStream, the same for every stream.
 */
export function serverStream<Req, Msg>(edge: GrpcEdge, method: ApiMethod, open: (req: Req, ctx: CallContext, call: ServerWritableStream<Req, Msg>) => StreamSource<Msg>,
  errorMessage?: GrpcStreamOptions<Msg>['errorMessage']): (call: ServerWritableStream<Req, Msg>) => void {
  return (call) => {
    contextOf(edge, call).then(
      (ctx) => serveGrpcStream(call as ServerWritableStream<unknown, Msg>, () => open(call.request, ctx, call), {
        errorMessage, tracking: { streams: edge.metrics.streams, method }, onError: (e) => void failure(edge, method, e, ctx),
      }),
      (e: unknown) => void call.emit('error', failure(edge, method, e)),
    );
  };
}

/** A method not served yet: the caller is still authenticated and authorized first, then told UNIMPLEMENTED with an HvsError. */
export function unimplementedHandler<Req, Res>(edge: GrpcEdge, method: ApiMethod): handleUnaryCall<Req, Res> & ((call: ServerWritableStream<Req, Res>) => void) {
  const answer = async (call: AuthCall): Promise<ServerErrorResponse> => {
    try {
      admit(await contextOf(edge, call), method);
      return unimplemented(notImplemented(method));
    } catch (e) {
      return failure(edge, method, e);
    }
  };
  return ((call: AuthCall & { emit?: (ev: string, e: unknown) => void }, callback?: (e: ServerErrorResponse) => void) => {
    void answer(call).then((err) => (callback ? callback(err) : call.emit?.('error', err)));
  }) as never;
}

/** An UNIMPLEMENTED answer that still carries an HvsError (code, why, fix) in the trailer. */
export function unimplemented(err: HvsError): ServerErrorResponse {
  const out = toServiceError(err);
  out.code = status.UNIMPLEMENTED;
  return out;
}
