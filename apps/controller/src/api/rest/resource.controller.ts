/**
 * /api/v1 resources over REST: each route delegates to ResourceService in one line. Errors
 * leave as HvsErrors and the app's filter answers with the status from the one table and
 * the body {code, category, message, why, fix, path, problems}. `GET /:kind?watch=1` streams
 * newline-delimited JSON events ({type, object, resourceVersion}); a failure after the stream
 * started is one `{"type":"ERROR","error":{...}}` line, then the stream ends.
 */
import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { strongestEffect } from '@hvs/domain';
import { mapStream } from '@hvs/proto';
import type { Logger } from 'pino';
import { LOGGER, Metrics } from '../../observability';
import { ResourceService, type PlannedObject } from '../../services/resource.service';
import type { WatchEvent } from '../../store';
import { serveNdjson, type RestStreamEdge, type StreamResponse } from './ndjson-stream';
import { contextOf, flag, manifestRequest, str, type RequestLike } from './request-body';

function planJson(plans: PlannedObject[]) {
  return { objects: plans.map((p) => ({ ...p, effect: strongestEffect(p.changes.map((c) => c.effect)) })) };
}

function watchLine(ev: WatchEvent) {
  return { type: ev.type, object: ev.object, resourceVersion: ev.revision };
}

@Controller()
export class ResourceController {
  private readonly edge: RestStreamEdge;

  constructor(@Inject(ResourceService) private readonly resources: ResourceService, @Inject(Metrics) metrics: Metrics, @Inject(LOGGER) log: Logger) {
    this.edge = { metrics, log: log.child({ component: 'rest' }) };
  }

  @Post('apply')
  @HttpCode(200)
  async apply(@Req() req: RequestLike) {
    const { sources, options } = await manifestRequest(req);
    return this.resources.apply(sources, options, contextOf(req));
  }

  @Post('plan')
  @HttpCode(200)
  async plan(@Req() req: RequestLike) {
    const { sources, options } = await manifestRequest(req);
    return planJson(await this.resources.plan(sources, { prune: options.prune }, contextOf(req)));
  }

  @Get(':kind')
  async list(@Param('kind') kind: string, @Query() q: Record<string, unknown>, @Req() req: RequestLike, @Res() res: StreamResponse): Promise<void> {
    if (flag(q.watch)) {
      const stream = this.resources.watch(kind, { labelSelector: str(q.labelSelector), resourceVersion: str(q.resourceVersion) }, contextOf(req));
      return serveNdjson(this.edge, 'GET /api/v1/:kind?watch=1', res, mapStream(stream, watchLine));
    }
    const l = await this.resources.list(kind, str(q.labelSelector), contextOf(req));
    res.status(200).json({ items: l.items, resourceVersion: l.revision });
  }

  /** `?reveal=1`: Secret values and VM cloud-init in plain text (needs secrets.reveal; audited). */
  @Get(':kind/:name')
  get(@Param('kind') kind: string, @Param('name') name: string, @Query() q: Record<string, unknown>, @Req() req: RequestLike) {
    return this.resources.get(kind, name, contextOf(req), { reveal: flag(q.reveal) });
  }

  /** Several objects in one transaction: `?name=a&name=b` or `?labelSelector=app=web` (all or nothing). */
  @Delete(':kind')
  async deleteMany(@Param('kind') kind: string, @Query() q: Record<string, unknown>, @Req() req: RequestLike) {
    const names = ([] as unknown[]).concat(q.name ?? []).filter((n): n is string => typeof n === 'string' && n !== '');
    const results = await this.resources.deleteMany(kind, { names, labelSelector: str(q.labelSelector), ignoreNotFound: flag(q.ignoreNotFound) }, { wait: flag(q.wait), waitTimeoutMs: Number(q.waitTimeoutMs) || undefined, force: flag(q.force) }, contextOf(req));
    return { results };
  }

  @Delete(':kind/:name')
  delete(@Param('kind') kind: string, @Param('name') name: string, @Query() q: Record<string, unknown>, @Req() req: RequestLike) {
    return this.resources.delete(kind, name, { wait: flag(q.wait), resourceVersion: str(q.resourceVersion), waitTimeoutMs: Number(q.waitTimeoutMs) || undefined, force: flag(q.force) }, contextOf(req));
  }
}
