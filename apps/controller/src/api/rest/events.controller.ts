/**
 * GET /api/v1/events?kind=&name=&since=&limit= : events, newest last ({events, resourceVersion}).
 * With `watch=1` (and `resourceVersion` from a list) it streams newline-delimited JSON, one
 * event per line, resumed server-side across etcd reconnects; a failure after the stream
 * started is one `{"type":"ERROR","error":{...}}` line, then the stream ends.
 */
import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { toHttpError } from '../../errors';
import { EventService, type EventStream } from '../../services';
import { flag, str } from './request-body';

interface StreamResponse {
  status(code: number): StreamResponse;
  json(body: unknown): void;
  setHeader(name: string, value: string): void;
  flushHeaders(): void;
  write(chunk: string): boolean;
  end(): void;
  on(event: 'close', listener: () => void): void;
  writableEnded: boolean;
}

@Controller('events')
export class EventsController {
  constructor(@Inject(EventService) private readonly events: EventService) {}

  @Get()
  async list(@Query() q: Record<string, unknown>, @Res() res: StreamResponse): Promise<void> {
    const filter = { kind: str(q.kind), name: str(q.name) };
    if (flag(q.watch)) return streamEvents(this.events.watch({ ...filter, resourceVersion: str(q.resourceVersion) }), res);
    const l = await this.events.list({ ...filter, since: str(q.since) }, Number(q.limit) || undefined);
    res.status(200).json({ events: l.events, resourceVersion: l.revision });
  }
}

async function streamEvents(stream: EventStream, res: StreamResponse): Promise<void> {
  res.setHeader('Content-Type', 'application/x-ndjson');
  res.setHeader('Cache-Control', 'no-store');
  res.status(200);
  res.flushHeaders();
  res.on('close', () => void stream.close());
  try {
    for await (const e of stream) res.write(`${JSON.stringify(e)}\n`);
  } catch (e) {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type: 'ERROR', error: toHttpError(e).body })}\n`);
  } finally {
    await stream.close();
    if (!res.writableEnded) res.end();
  }
}
