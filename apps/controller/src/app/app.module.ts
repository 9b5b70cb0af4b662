/**
 * The controller's root Nest module: configuration, logging, metrics, probes, the REST
 * error filter and the API modules. Built from values (config, logger, metrics) so a
 * test can compose it with `Test.createTestingModule({ imports: [AppModule.forRoot(...)] })`.
 */
import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from 'pino';
import { GrpcApiModule } from '../api/grpc/grpc-api.module';
import { ControllerConfig } from '../config';
import { HvsExceptionFilter } from '../errors';
import { createLogger, LOGGER, Metrics, ObservabilityModule, Readiness } from '../observability';
import { ControlLoopsModule } from './control-loops.module';
import { ApiModule, API_MODULES } from './api.module';
import { HealthListener } from './health-listener';

export interface AppOptions {
  /** Root logger; default: pino JSON to stdout at `config.logLevel`. */
  logger?: Logger;
  metrics?: Metrics;
  readiness?: Readiness;
  /** REST modules served under /api/v1; default API_MODULES. */
  apiModules?: readonly Type[];
  /** Campaign for leadership and run the control loops when leading (default false; runController sets it). */
  controlLoops?: boolean;
}

@Global()
@Module({})
export class AppModule {
  static forRoot(config: ControllerConfig, opts: AppOptions = {}): DynamicModule {
    const logger = opts.logger ?? createLogger({ level: config.logLevel });
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ logger, metrics: opts.metrics ?? new Metrics(), readiness: opts.readiness ?? new Readiness() }),
        ApiModule.register(opts.apiModules ?? API_MODULES),
        GrpcApiModule,
        ...(opts.controlLoops ? [ControlLoopsModule] : []),
      ],
      providers: [
        { provide: ControllerConfig, useValue: config },
        HealthListener,
        { provide: APP_FILTER, useFactory: (log: Logger) => new HvsExceptionFilter(log.child({ component: 'http' })), inject: [LOGGER] },
      ],
      exports: [ControllerConfig],
    };
  }
}
