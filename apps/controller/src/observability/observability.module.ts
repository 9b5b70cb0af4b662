/**
 * Logger, metrics and readiness for the whole app (a global module: any other module can
 * inject LOGGER, Metrics and Readiness without importing this one).
 */
import { Global, Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { HealthController } from './health.controller';
import { LOGGER } from './logger';
import { Metrics } from './metrics';
import { Readiness } from './readiness';
import { RequestMetricsMiddleware } from './request-metrics.middleware';

export interface ObservabilityParts {
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
}

@Global()
@Module({})
export class ObservabilityModule implements NestModule {
  static forRoot(parts: ObservabilityParts): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [HealthController],
      providers: [
        { provide: LOGGER, useValue: parts.logger },
        { provide: Metrics, useValue: parts.metrics },
        { provide: Readiness, useValue: parts.readiness },
        RequestMetricsMiddleware,
      ],
      exports: [LOGGER, Metrics, Readiness],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestMetricsMiddleware).forRoutes('*');
  }
}
