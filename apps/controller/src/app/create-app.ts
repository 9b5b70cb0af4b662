/**
 * createApp: the controller's HTTP side, built and listening. Used by main.ts and by
 * tests (port 0 gives a free port; read it back with `listeningAddress`).
 */
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { ControllerConfig, type ListenAddress } from '../config';
import { createLogger, NestPinoLogger } from '../observability';
import { AppModule, type AppOptions } from './app.module';

import { MAX_REQUEST_BYTES } from '../services/errors';

/** Largest request (issue #3: oversized requests are refused with a clear error); one value for both transports. */
export { MAX_REQUEST_BYTES };

/** Settings every instance needs, whether made by createApp or by a testing module. */
export function configureApp(app: INestApplication): void {
  (app as NestExpressApplication).useBodyParser('json', { limit: MAX_REQUEST_BYTES });
  (app as NestExpressApplication).disable?.('x-powered-by');
}

export async function createApp(config: ControllerConfig, opts: AppOptions = {}): Promise<INestApplication> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, { ...opts, logger }), {
    logger: new NestPinoLogger(logger.child({ component: 'nest' })),
    bodyParser: false,
    abortOnError: false,
  });
  configureApp(app);
  try {
    await app.listen(config.httpListen.port, config.httpListen.host);
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
  return app;
}

/** The address the app listens on (the real port when the config said 0). */
export function listeningAddress(app: INestApplication): ListenAddress {
  const a = app.getHttpServer().address() as AddressInfo;
  return { host: a.address, port: a.port };
}
