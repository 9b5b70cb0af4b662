/**
 * GET /api/v1/events?kind=&name=&since=&limit= : events, newest last ({events, resourceVersion}).
 * With `watch=1` (and `resourceVersion` from a list) it streams newline-delimited JSON, one
 * event per line, resumed server-side across etcd reconnects; a failure after the stream
 * started is one `{"type":"ERROR","error":{...}}` line, then the stream ends.
 */
import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER, Metrics } from '../../observability';
import { EventService } from '../../services';
import { serveNdjson, type RestStreamEdge, type StreamResponse } from './ndjson-stream';
import { contextOf, flag, str, type RequestLike } from './request-body';

@Controller('events')
export class EventsController {
  private readonly edge: RestStreamEdge;

  constructor(@Inject(EventService) private readonly events: EventService, @Inject(Metrics) metrics: Metrics, @Inject(LOGGER) log: Logger) {
    this.edge = { metrics, log: log.child({ component: 'rest' }) };
  }

  @Get()
  async list(@Query() q: Record<string, unknown>, @Req() req: RequestLike, @Res() res: StreamResponse): Promise<void> {
    const filter = { kind: str(q.kind), name: str(q.name) };
    if (flag(q.watch)) return serveNdjson(this.edge, 'GET /api/v1/events?watch=1', res, this.events.watch({ ...filter, resourceVersion: str(q.resourceVersion) }, contextOf(req)));
    const l = await this.events.list({ ...filter, since: str(q.since) }, Number(q.limit) || undefined, contextOf(req));
    res.status(200).json({ events: l.events, resourceVersion: l.revision });
  }
}
