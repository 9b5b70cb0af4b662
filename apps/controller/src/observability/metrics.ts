/**
 * Prometheus metrics of the controller (prom-client). One registry per controller
 * instance (not prom-client's global one), so several in one process (tests) do not
 * collide. Names carry the `hvs_` prefix and their unit.
 *
 * Label values stay from small fixed sets: `transport` rest|grpc; `method` the route
 * pattern (`GET /api/v1/vms/:name`) or gRPC method name, never a raw URL; `code` the
 * HTTP status (rest) or gRPC status name (grpc); `reconciler` a reconciler's name;
 * `result` done|requeue|error.
 */
import { ServerStreams } from '@hvs/proto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Transport = 'rest' | 'grpc';
export type ReconcileResult = 'done' | 'requeue' | 'error';

const API_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RECONCILE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60];

export class Metrics {
  readonly registry = new Registry();
  readonly apiRequests: Counter<'transport' | 'method' | 'code'>;
  readonly apiRequestDuration: Histogram<'transport' | 'method'>;
  readonly reconciles: Counter<'reconciler' | 'result'>;
  readonly reconcileDuration: Histogram<'reconciler'>;
  readonly reconcileErrors: Counter<'reconciler'>;
  /** Calls refused for want of a valid credential (never written to the audit log, so anonymous traffic cannot fill etcd). */
  readonly unauthenticated: Counter<'transport'>;
  /** Every server stream (REST and gRPC watches, Drain) is pumped through these (libs/proto server-stream.ts). */
  readonly streams = new ServerStreams();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.apiRequests = new Counter({ name: 'hvs_api_requests_total', help: 'API calls handled, by transport, method and result code.', labelNames: ['transport', 'method', 'code'], registers });
    this.apiRequestDuration = new Histogram({ name: 'hvs_api_request_duration_seconds', help: 'API call latency in seconds.', labelNames: ['transport', 'method'], buckets: API_BUCKETS, registers });
    this.reconciles = new Counter({ name: 'hvs_reconcile_total', help: 'Reconcile runs, by reconciler and result (done, requeue, error).', labelNames: ['reconciler', 'result'], registers });
    this.reconcileDuration = new Histogram({ name: 'hvs_reconcile_duration_seconds', help: 'Duration of one reconcile run in seconds.', labelNames: ['reconciler'], buckets: RECONCILE_BUCKETS, registers });
    const streams = this.streams;
    new Gauge({ name: 'hvs_api_streams_open', help: 'Server streams (watches, Drain) being served now.', registers, collect() { this.set(streams.open); } });
    this.reconcileErrors = new Counter({ name: 'hvs_reconcile_errors_total', help: 'Reconcile runs that threw, by reconciler.', labelNames: ['reconciler'], registers });
    this.unauthenticated = new Counter({ name: 'hvs_api_unauthenticated_total', help: 'API calls refused for want of a valid credential, by transport.', labelNames: ['transport'], registers });
  }

  /** Records one finished API call. `seconds` is measured by the caller (its clock). */
  observeApiRequest(transport: Transport, method: string, code: string | number, seconds: number): void {
    this.apiRequests.inc({ transport, method, code: String(code) });
    this.apiRequestDuration.observe({ transport, method }, seconds);
  }

  /** Records one reconcile run; an `error` result also counts in hvs_reconcile_errors_total. */
  observeReconcile(reconciler: string, result: ReconcileResult, seconds: number): void {
    this.reconciles.inc({ reconciler, result });
    this.reconcileDuration.observe({ reconciler }, seconds);
    if (result === 'error') this.reconcileErrors.inc({ reconciler });
  }

  /** The exposition text and its content type, for `/metrics`. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
