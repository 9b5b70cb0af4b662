/**
 * Who may call which Agent method (docs/security.md): the controller's certificate may call
 * everything; a peer node's certificate only PeerCheck (self-fencing asks peers whether they
 * still reach the controller); anything else is refused with PERMISSION_DENIED before the
 * handler runs. The TLS layer has already refused clients without a CA-signed certificate
 * (the server requires one); this adds the per-method rule on top, for every method the
 * service has, including ones added later (default: controller only).
 */
import type { ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import { agentv1, toServiceError } from '@hvs/proto';
import { callerIdentity, type PeerIdentity } from '../pki';

/** Methods a peer node may call (lower-camel, as in the generated server interface). */
export const PEER_METHODS: ReadonlySet<string> = new Set(['peerCheck']);

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

export function callerAllowed(method: string, caller: PeerIdentity | undefined): boolean {
  if (caller?.kind === 'controller') return true;
  return caller?.kind === 'node' && PEER_METHODS.has(method);
}

function forbidden(method: string, caller: PeerIdentity | undefined, self: string): HvsError {
  const who = caller === undefined ? 'a caller without a valid cluster certificate' : caller.kind === 'node' ? `node ${caller.node}` : 'the controller';
  return new HvsError({
    code: 'HVS-AGENT-CALLER-FORBIDDEN', category: 'PermissionDenied',
    message: `${method} on node ${self} was refused for ${who}`,
    why: 'only the controller may command an agent; peer nodes may only ask PeerCheck',
    fix: 'send commands through the controller (hvctl talks to the controller, never to agents)',
  });
}

/** Wraps every handler of the Agent service with the caller check. `caPem()` is read per call (rotation). */
export function guardAgentHandlers(handlers: agentv1.AgentServer, caPem: () => string, self: string): agentv1.AgentServer {
  const out: Record<string, unknown> = {};
  for (const [method, def] of Object.entries(agentv1.AgentService)) {
    const handler = (handlers as unknown as UntypedServiceImplementation)[method] as ((call: AnyCall, cb?: (e: unknown) => void) => void) | undefined;
    if (handler === undefined) continue;
    const streaming = (def as { responseStream: boolean }).responseStream;
    out[method] = (call: AnyCall, callback?: (e: unknown) => void) => {
      const caller = callerIdentity(call, caPem());
      if (!callerAllowed(method, caller)) {
        const err = toServiceError(forbidden(method, caller, self));
        if (streaming) (call as ServerWritableStream<unknown, unknown>).destroy(err as Error);
        else callback!(err);
        return;
      }
      handler(call, callback);
    };
  }
  return out as unknown as agentv1.AgentServer;
}
