/**
 * An hvs.agent.v1 Agent that only serves Migrate, for the Migration reconciler tests: a fake
 * behind our own gRPC interface on real grpc-js. Each call records its request and streams what
 * the test scripts: progress samples, then Completed or Failed; `hold` keeps a call open until
 * `release()` (to see concurrency limits).
 */
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import { agentv1, toServiceError } from '@hvs/proto';

export type Outcome = { phase: 'Completed'; downtimeMs: number } | { phase: 'Failed'; code: string; message: string; why: string; fix: string };

export class FakeMigrateAgent {
  readonly requests: agentv1.MigrateRequest[] = [];
  outcome: Outcome = { phase: 'Completed', downtimeMs: 42 };
  hold = false;
  /** SampleDirtyRate answers this rate, fails with this error, or never answers ('hang'). */
  dirtyRate: number | HvsError | 'hang' = new HvsError({
    code: 'HVS-LIBVIRT-UNSUPPORTED', category: 'FailedPrecondition', message: 'dirty-rate sampling is unsupported in test mode (test:///default)', why: 'test driver', fix: 'real libvirt',
  });
  readonly dirtyRateRequests: agentv1.SampleDirtyRateRequest[] = [];
  readonly abortRequests: agentv1.AbortMigrationRequest[] = [];
  /** AbortMigration fails with this (e.g. the agent unreachable or libvirt refusing in post-copy). */
  abortError: HvsError | undefined;
  private waiting: (() => void)[] = [];
  private readonly server = new Server();
  address = '';

  release(): void {
    this.hold = false;
    for (const w of this.waiting.splice(0)) w();
  }

  get open(): number {
    return this.waiting.length;
  }

  async listen(): Promise<string> {
    const unary = (_call: unknown, cb: (e: { code: status; details: string }) => void) => cb({ code: status.UNIMPLEMENTED, details: 'not in the fake' });
    const stream = (call: ServerWritableStream<unknown, unknown>) => call.emit('error', { code: status.UNIMPLEMENTED, details: 'not in the fake' });
    const impl: agentv1.AgentServer = {
      migrate: (call) => void this.migrate(call),
      abortMigration: (call: ServerUnaryCall<agentv1.AbortMigrationRequest, agentv1.AbortMigrationResponse>, cb: sendUnaryData<agentv1.AbortMigrationResponse>) => {
        this.abortRequests.push(call.request);
        if (this.abortError) return cb(toServiceError(this.abortError));
        // As libvirt does: the held migration ends Failed with the cancellation.
        this.outcome = { phase: 'Failed', code: 'HVS-LIBVIRT-MIGRATE-CANCELLED', message: 'migration of domain failed', why: 'operation aborted: migration out job: canceled by client', fix: 'Nothing to repair.' };
        this.release();
        cb(null, { jobAborted: true });
      },
      assign: unary, watch: stream, heartbeat: unary, backup: stream, snapshot: unary, consoleInfo: unary, diagnose: unary, peerCheck: unary,
      sampleDirtyRate: (call: ServerUnaryCall<agentv1.SampleDirtyRateRequest, agentv1.SampleDirtyRateResponse>, cb: sendUnaryData<agentv1.SampleDirtyRateResponse>) => {
        this.dirtyRateRequests.push(call.request);
        const r = this.dirtyRate;
        if (r === 'hang') return; // the caller's deadline ends it
        if (r instanceof HvsError) return cb(toServiceError(r));
        cb(null, { bytesPerSecond: r, periodSeconds: call.request.seconds, mode: 'page-sampling' });
      },
    };
    this.server.addService(agentv1.AgentService, impl);
    const port = await new Promise<number>((resolve, reject) => this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    this.address = `127.0.0.1:${port}`;
    return this.address;
  }

  async stop(): Promise<void> {
    this.release();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private async migrate(call: ServerWritableStream<agentv1.MigrateRequest, agentv1.MigrateProgress>): Promise<void> {
    this.requests.push(call.request);
    const p = (o: Partial<agentv1.MigrateProgress>) => agentv1.MigrateProgress.fromPartial({ dataTotal: 1000, ...o });
    call.write(p({ phase: 'Copying', dataProcessed: 500, dataRemaining: 500, dirtyRate: 10, iteration: 1 }));
    if (this.hold) await new Promise<void>((resolve) => this.waiting.push(resolve));
    call.write(p({ phase: 'Copying', dataProcessed: 990, dataRemaining: 10, dirtyRate: 10, iteration: 2 }));
    const o = this.outcome;
    if (o.phase === 'Completed') call.write(p({ phase: 'Completed', dataProcessed: 1000, dataRemaining: 0, downtimeMs: o.downtimeMs, elapsedMs: 700 }));
    else call.write(p({ phase: 'Failed', error: { code: o.code, path: '', message: o.message, why: o.why, fix: o.fix } }));
    call.end();
  }
}
