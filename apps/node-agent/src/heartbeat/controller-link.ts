import { credentials, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { ExponentialBackoff, type Clock } from '@hvs/reconcile';

/** The two NodeService calls the agent makes (the generated client satisfies it; tests may fake it). */
export interface NodeServiceCalls {
  registerNode(req: v1.RegisterNodeRequest, deadlineMs: number): Promise<v1.RegisterNodeResponse>;
  heartbeat(req: v1.NodeHeartbeatRequest, deadlineMs: number): Promise<v1.NodeHeartbeatResponse>;
  close(): void;
}

/** `creds`: the node's mTLS credentials (ClusterIdentity.controllerCredentials); plain text only for a standalone test set-up. */
export function grpcNodeService(address: string, creds: ChannelCredentials = credentials.createInsecure()): NodeServiceCalls {
  const client = new v1.NodeServiceClient(address, creds);
  const unary = <Req, Res>(fn: (req: Req, md: never, opts: { deadline: Date }, cb: (e: ServiceError | null, r: Res) => void) => unknown) =>
    (req: Req, deadlineMs: number) => new Promise<Res>((resolve, reject) => {
      fn.call(client, req, new Metadata() as never, { deadline: new Date(Date.now() + deadlineMs) }, (e, r) => (e ? reject(e) : resolve(r)));
    });
  return {
    registerNode: unary(client.registerNode as never),
    heartbeat: unary(client.heartbeat as never),
    close: () => client.close(),
  };
}

export interface ControllerLinkOptions {
  nodeName: string;
  /** What the controller dials to reach this agent. */
  advertise: string;
  intervalMs: number;
  clock: Clock;
  calls: NodeServiceCalls;
  facts(): Promise<v1.HostFacts>;
  observedGeneration(): number;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

/**
 * Push heartbeats (agent -> controller): RegisterNode once, then a tiny Heartbeat every
 * `intervalMs` (2 s) carrying the accepted generation. Failures back off exponentially (1 s to
 * 30 s) and never touch the VMs: an agent that cannot reach the controller keeps running what it
 * was assigned. A NOT_FOUND heartbeat (the controller forgot the node) registers again.
 * `lastContact` feeds PeerCheck (and self-fencing later).
 */
export class ControllerLink {
  private readonly abort = new AbortController();
  private readonly backoff = new ExponentialBackoff<'controller'>({ baseMs: 1000, factor: 2, maxMs: 30_000 });
  private loop: Promise<void> | undefined;
  private registered = false;
  private lastContactAt: number | undefined;
  private lastError: string | undefined;
  /** The latest generation the controller says it assigned (from heartbeat replies). */
  assignedGeneration = 0;

  constructor(private readonly o: ControllerLinkOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('stopped'));
    await this.loop;
    this.o.calls.close();
  }

  /** ms since the last successful call; -1 when never. */
  lastContactMs(): number {
    return this.lastContactAt === undefined ? -1 : Math.max(0, this.o.clock.now() - this.lastContactAt);
  }

  /** Heard from the controller within three heartbeat intervals. */
  reachable(): boolean {
    const ms = this.lastContactMs();
    return ms >= 0 && ms <= 3 * this.o.intervalMs;
  }

  get error(): string | undefined {
    return this.lastError;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let waitMs = this.o.intervalMs;
      try {
        if (!this.registered) await this.register();
        else await this.beat();
        this.backoff.forget('controller');
        this.lastError = undefined;
      } catch (e) {
        const err = hvsErrorFromServiceError(e);
        if ((e as ServiceError)?.code === status.NOT_FOUND) this.registered = false;
        waitMs = this.backoff.next('controller');
        if (this.lastError !== err.message) this.o.log?.warn({ code: err.code, retryInMs: waitMs }, `controller unreachable, VMs keep running as assigned: ${err.message}`);
        this.lastError = err.message;
      }
      try {
        await this.o.clock.sleep(waitMs, signal);
      } catch {
        return;
      }
    }
  }

  private async register(): Promise<void> {
    const res = await this.o.calls.registerNode({ name: this.o.nodeName, address: this.o.advertise, facts: await this.o.facts(), labels: {} }, 5000);
    this.registered = true;
    this.lastContactAt = this.o.clock.now();
    this.o.log?.info({ heartbeatIntervalMs: res.heartbeatIntervalMs }, 'registered with the controller');
  }

  private async beat(): Promise<void> {
    const res = await this.o.calls.heartbeat(
      { node: this.o.nodeName, observedGeneration: this.o.observedGeneration(), sentAtUnixMs: Date.now() },
      Math.max(1000, this.o.intervalMs),
    );
    this.lastContactAt = this.o.clock.now();
    this.assignedGeneration = res.assignedGeneration;
  }
}
