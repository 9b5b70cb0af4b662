/**
 * /api/v1 resources over REST: each route delegates to ResourceService in one line. Errors
 * leave as HvsErrors and the app's filter answers with the status from the one table and
 * the body {code, category, message, why, fix, path, problems}. `GET /:kind?watch=1` streams
 * newline-delimited JSON events ({type, object, resourceVersion}); a failure after the stream
 * started is one `{"type":"ERROR","error":{...}}` line, then the stream ends.
 */
import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { strongestEffect } from '@hvs/domain';
import { toHttpError } from '../../errors';
import { ResourceService, type PlannedObject } from '../../services/resource.service';
import type { WatchStream } from '../../store';
import { contextOf, flag, manifestRequest, str, type RequestLike } from './request-body';

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

function planJson(plans: PlannedObject[]) {
  return { objects: plans.map((p) => ({ ...p, effect: strongestEffect(p.changes.map((c) => c.effect)) })) };
}

@Controller()
export class ResourceController {
  constructor(@Inject(ResourceService) private readonly resources: ResourceService) {}

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
    return planJson(await this.resources.plan(sources, { prune: options.prune }));
  }

  @Get(':kind')
  async list(@Param('kind') kind: string, @Query() q: Record<string, unknown>, @Res() res: StreamResponse): Promise<void> {
    if (flag(q.watch)) return streamWatch(this.resources.watch(kind, { labelSelector: str(q.labelSelector), resourceVersion: str(q.resourceVersion) }), res);
    const l = await this.resources.list(kind, str(q.labelSelector));
    res.status(200).json({ items: l.items, resourceVersion: l.revision });
  }

  @Get(':kind/:name')
  get(@Param('kind') kind: string, @Param('name') name: string) {
    return this.resources.get(kind, name);
  }

  @Delete(':kind/:name')
  delete(@Param('kind') kind: string, @Param('name') name: string, @Query() q: Record<string, unknown>, @Req() req: RequestLike) {
    return this.resources.delete(kind, name, { wait: flag(q.wait), resourceVersion: str(q.resourceVersion), waitTimeoutMs: Number(q.waitTimeoutMs) || undefined, force: flag(q.force) }, contextOf(req));
  }
}

async function streamWatch(stream: WatchStream, res: StreamResponse): Promise<void> {
  res.setHeader('Content-Type', 'application/x-ndjson');
  res.setHeader('Cache-Control', 'no-store');
  res.status(200);
  res.flushHeaders();
  res.on('close', () => void stream.close());
  try {
    for await (const ev of stream) res.write(`${JSON.stringify({ type: ev.type, object: ev.object, resourceVersion: ev.revision })}\n`);
  } catch (e) {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type: 'ERROR', error: toHttpError(e).body })}\n`);
  } finally {
    await stream.close();
    if (!res.writableEnded) res.end();
  }
}
