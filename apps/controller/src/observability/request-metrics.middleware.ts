/**
 * Counts and times every REST request when its response finishes (errors and unknown
 * routes included). The `method` label is the matched route pattern, never the raw URL,
 * so label values stay bounded; requests that matched no route share `unmatched`.
 */
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { Metrics } from './metrics';

interface RequestLike {
  method: string;
  baseUrl?: string;
  route?: { path?: string };
}
interface ResponseLike {
  statusCode: number;
  once(event: 'finish', listener: () => void): void;
}

@Injectable()
export class RequestMetricsMiddleware implements NestMiddleware {
  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  use(req: RequestLike, res: ResponseLike, next: () => void): void {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path === undefined ? 'unmatched' : `${req.method} ${req.baseUrl ?? ''}${req.route.path}`;
      this.metrics.observeApiRequest('rest', route, res.statusCode, seconds);
    });
    next();
  }
}
