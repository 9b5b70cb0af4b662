/**
 * Probe and scrape endpoints, outside /api/v1 (no auth, no API envelope), as Kubernetes
 * and Prometheus expect them: /healthz (the process serves HTTP), /readyz (every
 * readiness check passes, else 503 with the failing ones), /metrics (Prometheus text).
 */
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { Metrics } from './metrics';
import { Readiness } from './readiness';

interface ResponseLike {
  status(code: number): ResponseLike;
  setHeader(name: string, value: string): void;
  send(body: unknown): void;
}

@Controller()
export class HealthController {
  constructor(@Inject(Metrics) private readonly metrics: Metrics, @Inject(Readiness) private readonly readiness: Readiness) {}

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() res: ResponseLike): Promise<void> {
    const report = await this.readiness.evaluate();
    res.status(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not ready', checks: report.checks });
  }

  @Get('metrics')
  async scrape(@Res() res: ResponseLike): Promise<void> {
    const { contentType, body } = await this.metrics.scrape();
    res.setHeader('Content-Type', contentType);
    res.status(200).send(body);
  }
}
