/**
 * One etcd client with bounded calls. etcd3's own fault handling retries and opens circuit
 * breakers with no overall bound (and jest then hangs on open handles), so it is replaced by a
 * pass-through policy and every call goes through `call()`: a gRPC deadline per attempt, a
 * retry of transient failures (etcd restarting, connection refused) until the call's deadline,
 * then HVS-STORE-UNAVAILABLE naming the endpoints and the cause. Never hangs.
 */
import type { CallOptions } from '@grpc/grpc-js';
import {
  Etcd3, GRPCCancelledError, GRPCDeadlineExceededError, GRPCUnavailableError, EtcdWatchStreamEnded, type IOptions,
} from 'etcd3';
import { isHvsError } from '@hvs/domain';
import { unavailable } from './errors';

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

const passThrough = {
  onSuccess: () => ({ dispose: () => undefined }),
  onFailure: () => ({ dispose: () => undefined }),
  execute: async <T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal) =>
    fn({ signal: signal ?? new AbortController().signal }),
} as unknown as Policy;

export interface EtcdConnectionOptions {
  /** `http://127.0.0.1:2379` style client URLs. */
  endpoints: string[];
  /** Overall deadline of one call including retries, default 5 s. */
  callTimeoutMs?: number;
  /** TLS trust and client certificate (etcd's --client-cert-auth); absent: as the endpoints' scheme says. */
  credentials?: { rootCertificate: Buffer; certChain?: Buffer; privateKey?: Buffer };
}

export class EtcdConnection {
  readonly client: Etcd3;
  readonly endpoints: readonly string[];
  readonly callTimeoutMs: number;
  private closed = false;

  constructor(options: EtcdConnectionOptions) {
    this.endpoints = [...options.endpoints];
    this.callTimeoutMs = options.callTimeoutMs ?? 5_000;
    this.client = new Etcd3({
      hosts: this.endpoints.map(String),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      dialTimeout: this.callTimeoutMs,
      faultHandling: { host: () => passThrough, global: passThrough },
      // Detect a silently dead connection (watch streams would otherwise wait forever).
      grpcOptions: { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000 },
    });
  }

  /**
   * Runs `fn` with a per-attempt gRPC deadline, retrying transient failures until `timeoutMs`
   * has passed. Errors that are not transport failures (e.g. compaction) are rethrown as is.
   */
  async call<T>(fn: (options: CallOptions) => Promise<T>, timeoutMs = this.callTimeoutMs): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let delay = 50;
    // The last attempt usually just runs out of time; an earlier one says why (refused, TLS alert).
    let telling: unknown;
    for (;;) {
      if (this.closed) throw unavailable(this.endpoints, new Error('the etcd client was closed'));
      try {
        return await fn({ deadline: new Date(deadline) });
      } catch (e) {
        if (isHvsError(e)) throw e;
        if (!isTransient(e)) throw e;
        if (!(e instanceof GRPCDeadlineExceededError)) telling = e;
        const left = deadline - Date.now();
        if (left <= 0 || e instanceof GRPCDeadlineExceededError) throw unavailable(this.endpoints, telling ?? e);
        await new Promise((r) => setTimeout(r, Math.min(delay, left)));
        delay = Math.min(delay * 2, 500);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

/** Transport failures worth retrying (the request may or may not have been applied). */
export function isTransient(e: unknown): boolean {
  if (e instanceof GRPCUnavailableError || e instanceof GRPCDeadlineExceededError || e instanceof GRPCCancelledError) return true;
  if (e instanceof EtcdWatchStreamEnded) return true;
  const msg = e instanceof Error ? e.message : String(e);
  return /ECONNREFUSED|ECONNRESET|No connection established|Connection dropped|failed to connect/i.test(msg);
}

/** Exclusive end of the range of keys starting with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
