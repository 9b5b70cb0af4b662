import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { HvsError, type ConsoleEndpoint } from '@hvs/domain';
import { agentv1, mapStream, serveGrpcStream, toServiceError, type StreamSource } from '@hvs/proto';
import { formatListen, type ListenAddress } from '../config/config';
import type { Check } from '../diagnose/diagnose';
import type { HostRenderFacts } from '../domains/render-facts';
import type { PeerStatus } from '../fencing';
import type { MigrateOrder, MigrateReport } from '../migration/migrate-handler';
import type { HostReport } from '../observed/host-report';
import type { SequencedChange } from '../observed/observed-state';
import { assignmentFromRequest, type AssignInput } from './assign-request';
import { toWireHostFacts } from './host-facts';
import { migrateOrderFromWire, toWireProgress } from './migrate-wire';
import { toWireAgentEvent } from './observed-wire';

export interface AgentServerTls {
  credentials: ServerCredentials;
  /** The cluster CA, read per call (it follows TlsMaterial updates). */
  caPem: () => string;
  nodeName: string;
}

/**
 * What the gRPC layer delegates to (the agent), in domain terms: the handlers below convert
 * wire <-> domain once, here (Assign checked by assign-request.ts, Watch by observed-wire.ts,
 * Migrate by migrate-wire.ts, host facts by host-facts.ts). Every method throws only HvsError.
 */
export interface AgentApi {
  readonly nodeName: string;
  /** This host's render facts now; an Assign is checked (each VM rendered) with them. */
  renderFacts(): Promise<HostRenderFacts>;
  assign(input: AssignInput): Promise<{ observedGeneration: number }>;
  /** Snapshot first, then every change; `close()` ends it at once (a cancelled Watch). */
  watch(): StreamSource<SequencedChange>;
  heartbeat(): agentv1.HeartbeatResponse;
  /** Checks and throws HvsError before the stream starts; the stream itself never throws. */
  migrate?(order: MigrateOrder): AsyncIterable<MigrateReport>;
  abortMigration?(req: { vmUid: string; migration: string; fencingToken: number }): Promise<{ jobAborted: boolean }>;
  sampleDirtyRate?(req: { vmUid: string; vmName: string; seconds: number }): Promise<{ bytesPerSecond: number; periodSeconds: number; mode: string }>;
  consoleInfo(vm: { vmUid: string; vmName: string }): Promise<ConsoleEndpoint>;
  diagnose(): Promise<{ checks: Check[]; host: HostReport | undefined }>;
  peerCheck(): PeerStatus;
}

type Log = { warn(o: object, m: string): void };

function unary<Req, Res>(log: Log, method: string, fn: (req: Req) => Promise<Res> | Res) {
  return (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then((r) => cb(null, r), (e: unknown) => {
        if (!(e instanceof HvsError)) log.warn({ err: e, method }, 'unexpected error in a gRPC handler');
        cb(toServiceError(e));
      });
  };
}

function notYet(what: string): HvsError {
  return new HvsError({
    code: 'HVS-AGENT-NOT-IMPLEMENTED', category: 'FailedPrecondition',
    message: `${what} is not implemented by this agent version`,
    why: 'the agent implements Assign, Watch, Heartbeat, ConsoleInfo, Diagnose and PeerCheck so far',
    fix: 'upgrade the node agent; until then this operation is unavailable on this node',
  });
}

/** Unimplemented calls answer UNIMPLEMENTED (not FAILED_PRECONDITION) with our error in the trailer. */
function unimplemented(what: string) {
  const err = toServiceError(notYet(what));
  err.code = 12; // status.UNIMPLEMENTED
  return err;
}

/** The hvs.agent.v1.Agent handlers: delegations to the AgentApi, converting wire <-> domain on the way. */
export function agentHandlers(api: AgentApi, log: Log): agentv1.AgentServer {
  return {
    assign: unary(log, 'Assign', async (r: agentv1.AssignRequest): Promise<agentv1.AssignResponse> => {
      const { observedGeneration } = await api.assign(assignmentFromRequest(r, { nodeName: api.nodeName, facts: await api.renderFacts() }));
      return { accepted: true, observedGeneration, problems: [] };
    }),
    // libs/proto's serveGrpcStream, as every controller stream: back-pressure, cancel, error mapping.
    watch: (call: ServerWritableStream<agentv1.WatchRequest, agentv1.AgentEvent>) => void serveGrpcStream(call, () => mapStream(api.watch(), (c) => toWireAgentEvent(c, api.nodeName)), {
      onError: (e) => log.warn({ err: e }, 'Watch stream failed'),
    }),
    heartbeat: unary(log, 'Heartbeat', () => api.heartbeat()),
    migrate: (call: ServerWritableStream<agentv1.MigrateRequest, agentv1.MigrateProgress>) => {
      // emit('error') ends a server stream with that status (destroy() would not send it).
      if (!api.migrate) return void call.emit('error', unimplemented('Migrate'));
      // A refusal (checked before the stream starts) ends the call with its status, no message.
      void serveGrpcStream(call, () => mapStream(api.migrate!(migrateOrderFromWire(call.request)), toWireProgress), {
        onError: (e) => {
          if (!(e instanceof HvsError)) log.warn({ err: e }, 'Migrate stream failed');
        },
      });
    },
    abortMigration: (call: ServerUnaryCall<agentv1.AbortMigrationRequest, agentv1.AbortMigrationResponse>, cb: sendUnaryData<agentv1.AbortMigrationResponse>) => {
      if (!api.abortMigration) return void cb(unimplemented('AbortMigration'));
      unary(log, 'AbortMigration', (r: agentv1.AbortMigrationRequest) => api.abortMigration!(r))(call, cb);
    },
    sampleDirtyRate: (call: ServerUnaryCall<agentv1.SampleDirtyRateRequest, agentv1.SampleDirtyRateResponse>, cb: sendUnaryData<agentv1.SampleDirtyRateResponse>) => {
      if (!api.sampleDirtyRate) return void cb(unimplemented('SampleDirtyRate'));
      unary(log, 'SampleDirtyRate', (r: agentv1.SampleDirtyRateRequest) => api.sampleDirtyRate!(r))(call, cb);
    },
    backup: (call: ServerWritableStream<agentv1.BackupRequest, agentv1.BackupProgress>) => call.destroy(unimplemented('Backup')),
    snapshot: (_call: ServerUnaryCall<agentv1.SnapshotRequest, agentv1.SnapshotResponse>, cb: sendUnaryData<agentv1.SnapshotResponse>) => cb(unimplemented('Snapshot')),
    consoleInfo: unary(log, 'ConsoleInfo', async (r: agentv1.ConsoleInfoRequest) => {
      const c = await api.consoleInfo(r);
      return { type: c.type, host: c.host, port: c.port, node: c.node, tlsPort: c.tlsPort ?? 0 };
    }),
    diagnose: unary(log, 'Diagnose', async (): Promise<agentv1.DiagnoseResponse> => {
      const { checks, host } = await api.diagnose();
      return { checks, facts: host && toWireHostFacts(host, api.nodeName) };
    }),
    peerCheck: unary(log, 'PeerCheck', () => api.peerCheck()),
  };
}

/**
 * A grpc-js server with the Agent service, bound on `at` (port 0: any free port). With `mtls`
 * (a joined agent): TLS requiring a cluster certificate, and the per-method caller rule of
 * caller-guard.ts; without (standalone development mode): plain text.
 */
export async function startAgentServer(api: AgentApi, at: ListenAddress, log: Log, mtls?: AgentServerTls): Promise<{ server: Server; address: string }> {
  const server = new Server({ 'grpc.keepalive_permit_without_calls': 1 });
  const handlers = agentHandlers(api, log);
  // caller-guard loads the PKI code (@peculiar/x509): only a joined agent needs it.
  server.addService(agentv1.AgentService, mtls ? (await import('./caller-guard.js')).guardAgentHandlers(handlers, mtls.caPem, mtls.nodeName) : handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(formatListen(at), mtls?.credentials ?? ServerCredentials.createInsecure(), (err, p) => (err ? reject(listenError(at, err)) : resolve(p)));
  });
  return { server, address: formatListen({ host: at.host, port }) };
}

function listenError(at: ListenAddress, err: Error): HvsError {
  return new HvsError({
    code: 'HVS-AGENT-LISTEN-FAILED', category: 'Unavailable', message: `the agent cannot listen on ${formatListen(at)}`, why: err.message,
    fix: 'pick a free address with HVS_AGENT_LISTEN (or --listen), or stop the process that holds it',
  });
}

export function stopServer(server: Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
