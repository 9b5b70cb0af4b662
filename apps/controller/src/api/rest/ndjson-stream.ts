/**
 * The REST side of every server stream (`?watch=1`): newline-delimited JSON, one item per
 * line, pumped by libs/proto's pumpStream like the gRPC streams (the next item is taken only
 * after the socket accepted the last: `write()` false waits for 'drain'; the client closing
 * the connection closes the source). A failure after the headers went out is one
 * `{"type":"ERROR","error":{code, category, message, why, fix, ...}}` line (the one error
 * table's body), then the response ends; failures before the stream are thrown by the caller
 * and answered by the app's filter with their HTTP status.
 */
import { isHvsError } from '@hvs/domain';
import { pumpStream, type StreamSource } from '@hvs/proto';
import type { Logger } from 'pino';
import { toHttpError } from '../../errors';
import type { Metrics } from '../../observability';

/** The parts of Express's response a stream uses. */
export interface StreamResponse {
  status(code: number): StreamResponse;
  json(body: unknown): void;
  setHeader(name: string, value: string): void;
  flushHeaders(): void;
  write(chunk: string): boolean;
  end(chunk?: string): void;
  once(event: 'drain', listener: () => void): void;
  on(event: 'close', listener: () => void): void;
  writableEnded: boolean;
  writableLength: number;
  destroyed: boolean;
}

export interface RestStreamEdge {
  metrics: Metrics;
  log: Logger;
}

export function serveNdjson(edge: RestStreamEdge, route: string, res: StreamResponse, source: StreamSource<unknown>): Promise<void> {
  res.setHeader('Content-Type', 'application/x-ndjson');
  res.setHeader('Cache-Control', 'no-store');
  res.status(200);
  res.flushHeaders();
  const line = (item: unknown) => `${JSON.stringify(item)}\n`;
  return pumpStream(source, {
    write: (item) => res.write(line(item)),
    onDrain: (fn) => res.once('drain', fn),
    onClose: (fn) => {
      if (res.destroyed) fn();
      res.on('close', fn);
    },
    buffered: () => res.writableLength,
    end: () => res.end(),
    fail: (e) => {
      if (!isHvsError(e) || e.category === 'Internal') edge.log.error({ err: e, route }, 'stream failed');
      if (!res.writableEnded) res.end(line({ type: 'ERROR', error: toHttpError(e).body }));
    },
  }, { streams: edge.metrics.streams, method: route });
}
