/**
 * The one way a server streams: every server-streaming call of the controller (REST and gRPC
 * watches, Drain) and of the agent (Watch) pumps its source through `pumpStream`. Guarantees:
 * - back-pressure: the next item is pulled from the source only after the transport accepted
 *   the last one (`write()` returned true, or 'drain' came), so the transport holds at most
 *   its own high-water mark; a source that buffers (a store watch) bounds itself (see
 *   `StreamSource.buffered`);
 * - cancellation: when the client goes away (cancel, reset, closed socket) the source is
 *   closed at once, even while the pump waits for the next item or for 'drain' (a store watch
 *   gives its etcd watcher back), and nothing more is written;
 * - errors: a failure before the first item or later goes to the sink's `fail`, which maps it
 *   through the one error table (gRPC: `serveGrpcStream` below; REST: the controller's adapter);
 *   nothing is written after the end or the failure.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { HvsError } from '@hvs/domain';
import { asHvsError, toServiceError } from './grpc-errors.js';

/** What a stream reads from. `close()` (when present) must end a pending iteration at once. */
export type StreamSource<T> = AsyncIterable<T> & {
  close?(): Promise<void> | void;
  /** Items the source holds that the consumer has not taken yet (a watch's queue). */
  readonly buffered?: number;
};

/** `source` with each item converted by `fn`; closing and the buffered count pass through. */
export function mapStream<A, B>(source: StreamSource<A>, fn: (item: A) => B): StreamSource<B> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const item of source) yield fn(item);
    },
    ...(source.close ? { close: () => source.close!() } : {}),
    get buffered() {
      return source.buffered ?? 0;
    },
  };
}

/** A transport's side of one stream call. */
export interface StreamSink<T> {
  /** false: the transport's buffer is at its high-water mark; wait for `onDrain`. */
  write(item: T): boolean;
  onDrain(fn: () => void): void;
  /** Registers `fn` for the client going away (may run more than once; must run after `end` too). */
  onClose(fn: () => void): void;
  /** What the transport holds unsent, in its own unit (gRPC: messages; HTTP: bytes). */
  buffered(): number;
  end(): void;
  fail(e: unknown): void;
}

/** Open streams and the most any of them held, per method (for metrics and tests). */
export class ServerStreams {
  private live = 0;
  private readonly peak = new Map<string, { source: number; transport: number }>();

  /** Streams being served now. */
  get open(): number {
    return this.live;
  }

  /** The most items a source of `method` held, and the most its transport held, since the last reset. */
  peaks(method: string): { source: number; transport: number } {
    return { ...(this.peak.get(method) ?? { source: 0, transport: 0 }) };
  }

  resetPeaks(): void {
    this.peak.clear();
  }

  /** @internal the pump's bookkeeping */
  track(delta: 1 | -1): void {
    this.live += delta;
  }

  /** @internal */
  sample(method: string, source: number, transport: number): void {
    const p = this.peak.get(method) ?? { source: 0, transport: 0 };
    this.peak.set(method, { source: Math.max(p.source, source), transport: Math.max(p.transport, transport) });
  }
}

/** Where a pump reports: the registry and the stream's method name (e.g. `ResourceService/Watch`). */
export interface StreamTracking {
  streams: ServerStreams;
  method: string;
}

/** Streams `source` into `sink` until the source ends, fails or the client goes away. Never throws. */
export async function pumpStream<T>(source: StreamSource<T>, sink: StreamSink<T>, tracking?: StreamTracking): Promise<void> {
  let it: AsyncIterator<T> | undefined;
  let gone = false;
  let released: Promise<void> | undefined;
  const release = () => (released ??= Promise.resolve()
    .then(async () => {
      if (source.close) await source.close();
      else await it?.return?.();
    })
    .then(() => undefined, () => undefined));
  let wakeOnGone: (() => void) | undefined;
  sink.onClose(() => {
    if (gone) return;
    gone = true;
    wakeOnGone?.();
    void release();
  });
  const sample = () => tracking?.streams.sample(tracking.method, source.buffered ?? 0, sink.buffered());
  tracking?.streams.track(1);
  try {
    it = source[Symbol.asyncIterator]();
    for (;;) {
      const next = await it.next();
      if (next.done || gone) break;
      sample();
      const accepted = sink.write(next.value);
      sample();
      if (!accepted && !gone) {
        await new Promise<void>((resolve) => {
          wakeOnGone = resolve;
          sink.onDrain(resolve);
        });
        wakeOnGone = undefined;
      }
      if (gone) break;
    }
    if (!gone) sink.end();
  } catch (e) {
    if (!gone) sink.fail(e);
  } finally {
    tracking?.streams.track(-1);
    await release();
  }
}

export interface GrpcStreamOptions<T> {
  /**
   * For a message type with an error variant (hvs.v1.WatchEvent ERROR): the last message, then
   * the call ends OK. Without it the call ends with the error's status and `hvs-error-bin` trailer.
   */
  errorMessage?: (err: HvsError) => T;
  /** Sees every failure first (log what is not a domain error; its text never reaches the client). */
  onError?: (e: unknown) => void;
  tracking?: StreamTracking;
}

/**
 * Serves a grpc-js server-streaming call from `open()`. A throw from `open` (a bad request)
 * ends the call with its status before any message.
 */
export function serveGrpcStream<T>(call: ServerWritableStream<unknown, T>, open: () => StreamSource<T>, options: GrpcStreamOptions<T> = {}): Promise<void> {
  // emit('error') ends a server stream with that status after what was written (destroy() would drop the status).
  const failCall = (e: unknown) => {
    options.onError?.(e);
    if (options.errorMessage) {
      call.write(options.errorMessage(asHvsError(e)));
      call.end();
    } else {
      call.emit('error', toServiceError(e));
    }
  };
  let source: StreamSource<T>;
  try {
    source = open();
  } catch (e) {
    options.onError?.(e);
    call.emit('error', toServiceError(e));
    return Promise.resolve();
  }
  return pumpStream(source, {
    write: (m) => call.write(m),
    onDrain: (fn) => void call.once('drain', fn),
    onClose: (fn) => {
      if (call.cancelled) fn();
      call.on('cancelled', fn);
      call.on('close', fn);
    },
    buffered: () => call.writableLength,
    end: () => call.end(),
    fail: failCall,
  }, options.tracking);
}
