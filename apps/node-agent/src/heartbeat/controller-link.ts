import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { ClientTls } from '@hvs/pki';
import { hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { ExponentialBackoff, type Clock } from '@hvs/reconcile';

/** The two NodeService calls the agent makes (the generated client satisfies it; tests may fake it). */
export interface NodeServiceCalls {
  registerNode(req: v1.RegisterNodeRequest, deadlineMs: number): Promise<v1.RegisterNodeResponse>;
  heartbeat(req: v1.NodeHeartbeatRequest, deadlineMs: number): Promise<v1.NodeHeartbeatResponse>;
  /** Drops the connection; the next call dials a new one. */
  reconnect?(): void;
  close(): void;
}

/** `tls`: the node's mTLS credentials (ClusterIdentity.controllerTls); plain text only for a standalone test set-up. */
export function grpcNodeService(address: string, tls?: ClientTls): NodeServiceCalls {
  const dial = () => new v1.NodeServiceClient(address, tls?.credentials ?? credentials.createInsecure(), tls?.options ?? {});
  let client = dial();
  const unary = <Req, Res>(pick: (c: v1.NodeServiceClient) => unknown) =>
    (req: Req, deadlineMs: number) => new Promise<Res>((resolve, reject) => {
      const fn = pick(client) as (req: Req, md: Metadata, opts: { deadline: Date }, cb: (e: ServiceError | null, r: Res) => void) => unknown;
      fn.call(client, req, new Metadata(), { deadline: new Date(Date.now() + deadlineMs) }, (e, r) => (e ? reject(e) : resolve(r)));
    });
  return {
    registerNode: unary((c) => c.registerNode),
    heartbeat: unary((c) => c.heartbeat),
    reconnect: () => {
      client.close();
      client = dial();
    },
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
 * Retries after a failed call back off 1 s, 2 s, then every 4 s: half the default 8 s lease TTL.
 * A longer cap (it was 30 s) let a healthy agent come back up to 30 s after a controller outage
 * ended, long enough for its peers to answer "we reach the controller" and for it to fence
 * needlessly (docs/ha.md).
 */
export const RETRY_MAX_MS = 4_000;

/**
 * A peer counts as reaching the controller when it heard from it within this window (or three
 * heartbeat intervals when they are longer): 6 s, under the 8 s lease, so "reachable" implies
 * the controller still holds this node Ready, and wide enough that one slow reply on a loaded
 * host does not flip it.
 */
export const REACHABLE_WINDOW_MS = 6_000;

/**
 * Push heartbeats (agent -> controller): RegisterNode once, then a tiny Heartbeat every
 * interval carrying the accepted generation. The interval is the agent's own setting until the
 * controller answers RegisterNode; from then on the controller's `heartbeatIntervalMs` (1 s by
 * default) wins, because the controller owns the lease TTL those heartbeats keep alive.
 * Failures back off (1 s to RETRY_MAX_MS) and never touch the VMs: an agent that cannot reach
 * the controller keeps running what it was assigned. A NOT_FOUND heartbeat (the controller
 * forgot the node) registers again. `lastContact` feeds PeerCheck and self-fencing.
 */
export class ControllerLink {
  private readonly abort = new AbortController();
  private readonly backoff = new ExponentialBackoff<'controller'>({ baseMs: 1000, factor: 2, maxMs: RETRY_MAX_MS });
  private intervalMs: number;
  private loop: Promise<void> | undefined;
  private registered = false;
  private lastContactAt: number | undefined;
  private lastError: string | undefined;
  /** The latest generation the controller says it assigned (from heartbeat replies). */
  assignedGeneration = 0;

  constructor(private readonly o: ControllerLinkOptions) {
    this.intervalMs = o.intervalMs;
  }

  /** The interval in use (the controller's once registered). */
  get heartbeatIntervalMs(): number {
    return this.intervalMs;
  }

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

  /** Heard from the controller within REACHABLE_WINDOW_MS (or three intervals, when longer). */
  reachable(): boolean {
    const ms = this.lastContactMs();
    return ms >= 0 && ms <= Math.max(REACHABLE_WINDOW_MS, 3 * this.intervalMs);
  }

  get error(): string | undefined {
    return this.lastError;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let waitMs: number;
      try {
        if (!this.registered) await this.register();
        else await this.beat();
        waitMs = this.intervalMs; // after register: the controller's interval from the first beat on
        this.backoff.forget('controller');
        this.lastError = undefined;
      } catch (e) {
        const err = hvsErrorFromServiceError(e);
        const code = (e as ServiceError)?.code;
        if (code === status.NOT_FOUND) this.registered = false;
        // A connection that went silent (the host was cut off, then healed) can look open for
        // minutes while TCP retransmits with growing timeouts; calls on it time out. Dial anew.
        if (code === status.DEADLINE_EXCEEDED || code === status.UNAVAILABLE) this.o.calls.reconnect?.();
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
    // Same bounds as the agent's own --heartbeat-ms; anything else (0: an old controller) is ignored.
    if (Number.isInteger(res.heartbeatIntervalMs) && res.heartbeatIntervalMs >= 100 && res.heartbeatIntervalMs <= 60_000) this.intervalMs = res.heartbeatIntervalMs;
    this.o.log?.info({ heartbeatIntervalMs: this.intervalMs }, 'registered with the controller');
  }

  private async beat(): Promise<void> {
    const res = await this.o.calls.heartbeat(
      { node: this.o.nodeName, observedGeneration: this.o.observedGeneration(), sentAtUnixMs: Date.now() },
      Math.max(1000, this.intervalMs),
    );
    this.lastContactAt = this.o.clock.now();
    this.assignedGeneration = res.assignedGeneration;
  }
}
