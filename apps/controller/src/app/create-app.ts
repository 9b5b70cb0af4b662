/**
 * createApp: the controller's HTTP side, built and listening. Used by main.ts and by
 * tests (port 0 gives a free port; read it back with `listeningAddress`).
 */
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { defaultAllowedHosts, type HttpEdgePolicy } from '../api/rest/http-policy';
import { answerMalformedHttp } from '../api/rest/malformed-http';
import { transportGuard } from '../api/rest/transport-guard';
import { ControllerConfig, servesTls, type ListenAddress } from '../config';
import { createLogger, Metrics, NestPinoLogger } from '../observability';
import { ClusterPki } from '../pki';
import { AppModule, type AppOptions } from './app.module';
import { HealthListener } from './health-listener';
import { HTTPS_SERVER_OPTIONS, serveCertificate, type ServedCertificate } from './http-tls';
import { MAX_REQUEST_BYTES } from '../services/errors';

/** Largest request (issue #3: oversized requests are refused with a clear error); one value for both transports. */
export { MAX_REQUEST_BYTES };

/** What the HTTP port accepts (Host, Origin, content types): the config's lists, else the defaults. */
export function httpEdgePolicy(config: ControllerConfig, certificateNames: readonly string[] = []): HttpEdgePolicy {
  return {
    tls: servesTls(config),
    allowedHosts: new Set(config.httpAllowedHosts ?? defaultAllowedHosts(config.httpListen.host, certificateNames)),
    allowedOrigins: new Set(config.httpAllowedOrigins ?? []),
  };
}

/**
 * Settings every instance needs, whether made by createApp or by a testing module. The
 * transport guard comes first, so a refused request is never parsed nor routed.
 */
export function configureApp(app: INestApplication, certificateNames: readonly string[] = []): void {
  app.use(transportGuard(httpEdgePolicy(app.get(ControllerConfig), certificateNames), app.get(Metrics)));
  answerMalformedHttp(app.getHttpServer());
  (app as NestExpressApplication).useBodyParser('json', { limit: MAX_REQUEST_BYTES });
  (app as NestExpressApplication).disable?.('x-powered-by');
}

export async function createApp(config: ControllerConfig, opts: AppOptions = {}): Promise<INestApplication> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, { ...opts, logger }), {
    logger: new NestPinoLogger(logger.child({ component: 'nest' })),
    bodyParser: false,
    abortOnError: false,
    ...(servesTls(config) ? { httpsOptions: HTTPS_SERVER_OPTIONS } : {}),
  });
  let served: ServedCertificate | undefined;
  try {
    if (servesTls(config)) {
      served = serveCertificate(app.getHttpServer() as unknown as TlsServer, config, app.get(ClusterPki));
      app.getHttpServer().once('close', served.stop);
    }
    configureApp(app, served?.names);
    await app.listen(config.httpListen.port, config.httpListen.host);
  } catch (e) {
    served?.stop();
    await app.close().catch(() => undefined);
    throw e;
  }
  return app;
}

/** Where HVS_HEALTH_LISTEN's listener listens (the real port), or undefined when it is not set. */
export function healthAddress(app: INestApplication): ListenAddress | undefined {
  return app.get(HealthListener).address;
}

/** The address the app listens on (the real port when the config said 0). */
export function listeningAddress(app: INestApplication): ListenAddress {
  const a = app.getHttpServer().address() as AddressInfo;
  return { host: a.address, port: a.port };
}
