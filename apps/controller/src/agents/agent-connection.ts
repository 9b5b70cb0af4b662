/**
 * The controller's link to one node agent: ONE long-lived `Watch` stream (observed state up)
 * that is re-opened with capped exponential backoff whenever it breaks, plus unary `Assign`
 * calls with a deadline. Guarantees:
 * - at most one Watch stream per connection at any time;
 * - `onConnected` fires on the first event of every (re)opened stream (the agent's Snapshot):
 *   the dispatcher re-sends the whole assignment then, so an agent that restarted or missed an
 *   Assign converges (level-triggered);
 * - after `close()` no callback fires and no timer is left.
 */
import { credentials, Metadata, type ClientReadableStream } from '@grpc/grpc-js';
import { SystemClock, type Clock, type TimerHandle } from '@hvs/reconcile';
import { agentv1 } from '@hvs/proto';

/** Opens the gRPC client for an agent address (mTLS comes with issue #6; insecure for now). */
export type AgentDialer = (node: string, address: string) => agentv1.AgentClient;

export const insecureDialer: AgentDialer = (_node, address) =>
  new agentv1.AgentClient(address, credentials.createInsecure(), {
    // A silently dead agent must break the stream so it is re-opened (and its node's lease decides).
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
  });

export interface AgentConnectionHandlers {
  onEvent(node: string, event: agentv1.AgentEvent): void;
  onConnected(node: string): void;
  onDisconnected(node: string, error: unknown): void;
}

export interface AgentConnectionOptions {
  node: string;
  address: string;
  dialer: AgentDialer;
  handlers: AgentConnectionHandlers;
  controllerId: string;
  clock?: Clock;
  /** Re-open delays: first, then doubled up to max. Defaults 200 ms and 10 s. */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
}

export class AgentConnection {
  readonly node: string;
  readonly address: string;
  /** The content hash and generation the agent last accepted (undefined: re-send). */
  acked: { hash: string; generation: number } | undefined;
  /** The last assignment sent (accepted or not): same content keeps its generation. */
  lastSent: { hash: string; generation: number } | undefined;
  /** Highest generation sent: new content gets a larger one. */
  lastGeneration = 0;
  private readonly client: agentv1.AgentClient;
  private readonly clock: Clock;
  private stream: ClientReadableStream<agentv1.AgentEvent> | undefined;
  private timer: TimerHandle | undefined;
  private delay: number;
  private closed = false;
  private streamUp = false;

  constructor(private readonly options: AgentConnectionOptions) {
    this.node = options.node;
    this.address = options.address;
    this.clock = options.clock ?? new SystemClock();
    this.delay = options.reconnectBaseMs ?? 200;
    this.client = options.dialer(options.node, options.address);
  }

  /** Whether the Watch stream has delivered its first event since it was last (re)opened. */
  get connected(): boolean {
    return this.streamUp;
  }

  start(): void {
    this.open();
  }

  /** Sends the full desired set; rejects with the gRPC error (UNAVAILABLE, DEADLINE_EXCEEDED...). */
  assign(request: agentv1.AssignRequest, timeoutMs = 10_000): Promise<agentv1.AssignResponse> {
    return new Promise((resolve, reject) => {
      this.client.assign(request, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    const s = this.stream;
    this.stream = undefined;
    s?.cancel();
    this.client.close();
  }

  private open(): void {
    if (this.closed) return;
    this.streamUp = false;
    const s = this.client.watch({ controllerId: this.options.controllerId });
    this.stream = s;
    s.on('data', (event: agentv1.AgentEvent) => {
      if (s !== this.stream) return;
      if (!this.streamUp) {
        this.streamUp = true;
        this.delay = this.options.reconnectBaseMs ?? 200;
        this.options.handlers.onConnected(this.node);
      }
      this.options.handlers.onEvent(this.node, event);
    });
    s.on('error', (e) => this.broken(s, e));
    s.on('end', () => this.broken(s, new Error(`the agent of node ${this.node} ended its Watch stream`)));
  }

  private broken(s: ClientReadableStream<agentv1.AgentEvent>, error: unknown): void {
    if (s !== this.stream || this.closed) return;
    this.stream = undefined;
    this.streamUp = false;
    this.acked = undefined; // whatever the agent holds now, the next stream gets a fresh Assign
    this.options.handlers.onDisconnected(this.node, error);
    this.timer = this.clock.setTimeout(() => this.open(), this.delay);
    this.delay = Math.min(this.delay * 2, this.options.reconnectMaxMs ?? 10_000);
  }
}
