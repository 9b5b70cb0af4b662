export { HealthController } from './health.controller';
export { createLogger, LOGGER, NestPinoLogger, REDACTED, redactSecrets, type LoggerOptions } from './logger';
export { Metrics, type ReconcileResult, type Transport } from './metrics';
export { ObservabilityModule, type ObservabilityParts } from './observability.module';
export { Readiness, type ReadinessCheck, type ReadinessReport } from './readiness';
export { RequestMetricsMiddleware } from './request-metrics.middleware';
