/**
 * Requests whose bytes do not parse as the method's message. grpc-js answers a throwing request
 * deserializer itself, with a bare INTERNAL and no `hvs-error-bin` trailer: the caller's garbage
 * would look like our fault. `guardService` wraps each unary and server-streaming method: its
 * deserializer returns a marker instead of throwing, and its handler answers the marker with
 * HVS-API-MESSAGE-INVALID (INVALID_ARGUMENT, the trailer) before any service code runs, so a
 * malformed request reads, writes and audits nothing. Client-streaming methods (ImageService/
 * Upload) get the same deserializer; their handler meets the marker among the messages and
 * `checkParsed` turns it into the same error (grpc-call.ts clientStream does that for every one).
 * Bidirectional streams (none in hvs.v1) are left as they are.
 */
import type { ServerUnaryCall, ServerWritableStream, ServiceDefinition, UntypedHandleCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import { toServiceError } from '@hvs/proto';

const UNPARSED = Symbol('unparsed request');

interface Unparsed {
  [UNPARSED]: HvsError;
}

function isUnparsed(request: unknown): request is Unparsed {
  return typeof request === 'object' && request !== null && UNPARSED in request;
}

/** The error of a request that is not a valid `messagePath` message; the parser's words stay in the log, not the answer. */
export function messageInvalid(messagePath: string): HvsError {
  return new HvsError({
    code: 'HVS-API-MESSAGE-INVALID', category: 'InvalidArgument',
    message: `the request to ${messagePath} is not a valid protobuf message of that method`,
    why: 'its bytes do not decode as the request message the method takes (truncated, corrupted, or sent to the wrong method)',
    fix: 'send the request with a client generated from the hvs.v1 .proto files of this controller version (hvctl does this)',
  });
}

/** `def` and `impl` with every unary and server-streaming method guarded as described above. */
export function guardService(def: ServiceDefinition, impl: UntypedServiceImplementation): [ServiceDefinition, UntypedServiceImplementation] {
  const guardedDef: Record<string, ServiceDefinition[string]> = {};
  const guardedImpl: UntypedServiceImplementation = { ...impl };
  for (const [key, method] of Object.entries(def)) {
    const handler = impl[key];
    if ((method.requestStream && method.responseStream) || handler === undefined) {
      guardedDef[key] = method;
      continue;
    }
    guardedDef[key] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch {
          return { [UNPARSED]: messageInvalid(method.path) } satisfies Unparsed;
        }
      },
    };
    if (!method.requestStream) guardedImpl[key] = method.responseStream ? guardStream(handler) : guardUnary(handler);
  }
  return [guardedDef as ServiceDefinition, guardedImpl];
}

/** A client-stream message as it is, or HVS-API-MESSAGE-INVALID when its bytes did not parse. */
export function checkParsed<T>(message: T): T {
  if (isUnparsed(message)) throw message[UNPARSED];
  return message;
}

function guardUnary(handler: UntypedHandleCall): UntypedHandleCall {
  const next = handler as (call: ServerUnaryCall<unknown, unknown>, callback: (e: unknown) => void) => void;
  return ((call: ServerUnaryCall<unknown, unknown>, callback: (e: unknown) => void) =>
    isUnparsed(call.request) ? callback(toServiceError(call.request[UNPARSED])) : next(call, callback)) as UntypedHandleCall;
}

function guardStream(handler: UntypedHandleCall): UntypedHandleCall {
  const next = handler as (call: ServerWritableStream<unknown, unknown>) => void;
  // emit('error') ends a server stream with that status and trailer (as libs/proto's serveGrpcStream does).
  return ((call: ServerWritableStream<unknown, unknown>) =>
    isUnparsed(call.request) ? void call.emit('error', toServiceError(call.request[UNPARSED])) : next(call)) as UntypedHandleCall;
}
