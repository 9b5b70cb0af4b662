import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import { agentv1, serveGrpcStream, toServiceError, type v1 } from '@hvs/proto';
import { formatListen, type ListenAddress } from '../config/config';

export interface AgentServerTls {
  credentials: ServerCredentials;
  /** The cluster CA, read per call (it follows TlsMaterial updates). */
  caPem: () => string;
  nodeName: string;
}

/** What the gRPC layer delegates to (the agent). Every method throws only HvsError. */
export interface AgentApi {
  assign(req: agentv1.AssignRequest): Promise<agentv1.AssignResponse>;
  watch(req: agentv1.WatchRequest): AsyncIterable<agentv1.AgentEvent>;
  heartbeat(): agentv1.HeartbeatResponse;
  /** Checks and throws HvsError before the stream starts; the stream itself never throws. */
  migrate?(req: agentv1.MigrateRequest): AsyncIterable<agentv1.MigrateProgress>;
  abortMigration?(req: agentv1.AbortMigrationRequest): Promise<agentv1.AbortMigrationResponse>;
  sampleDirtyRate?(req: agentv1.SampleDirtyRateRequest): Promise<agentv1.SampleDirtyRateResponse>;
  consoleInfo(req: agentv1.ConsoleInfoRequest): Promise<v1.ConsoleEndpoint>;
  diagnose(): Promise<agentv1.DiagnoseResponse>;
  peerCheck(req: agentv1.PeerCheckRequest): agentv1.PeerCheckResponse;
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

/** The hvs.agent.v1.Agent handlers: one-line delegations to the AgentApi. */
export function agentHandlers(api: AgentApi, log: Log): agentv1.AgentServer {
  return {
    assign: unary(log, 'Assign', (r: agentv1.AssignRequest) => api.assign(r)),
    // libs/proto's serveGrpcStream, as every controller stream: back-pressure, cancel, error mapping.
    watch: (call: ServerWritableStream<agentv1.WatchRequest, agentv1.AgentEvent>) => void serveGrpcStream(call, () => api.watch(call.request), {
      onError: (e) => log.warn({ err: e }, 'Watch stream failed'),
    }),
    heartbeat: unary(log, 'Heartbeat', () => api.heartbeat()),
    migrate: (call: ServerWritableStream<agentv1.MigrateRequest, agentv1.MigrateProgress>) => {
      // emit('error') ends a server stream with that status (destroy() would not send it).
      if (!api.migrate) return void call.emit('error', unimplemented('Migrate'));
      let items: AsyncIterable<agentv1.MigrateProgress>;
      try {
        items = api.migrate(call.request);
      } catch (e) {
        return void call.emit('error', toServiceError(e));
      }
      void (async () => {
        for await (const p of items) {
          if (call.cancelled) return;
          if (!call.write(p)) await new Promise<void>((resolve) => call.once('drain', () => resolve()));
        }
        call.end();
      })().catch((e: unknown) => call.emit('error', toServiceError(e)));
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
    consoleInfo: unary(log, 'ConsoleInfo', (r: agentv1.ConsoleInfoRequest) => api.consoleInfo(r)),
    diagnose: unary(log, 'Diagnose', () => api.diagnose()),
    peerCheck: unary(log, 'PeerCheck', (r: agentv1.PeerCheckRequest) => api.peerCheck(r)),
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
