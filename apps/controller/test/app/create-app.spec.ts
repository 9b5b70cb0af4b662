import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { AppModule, configureApp, createApp, listeningAddress } from '../../src/app';
import { ControllerConfig } from '../../src/config';
import { baseUrl, capturedLogger, testConfig } from './fixtures';

@Controller('samples')
class SampleController {
  @Get()
  list(): { items: string[] } {
    return { items: ['a'] };
  }
}
@Module({ controllers: [SampleController] })
class SampleModule {}

describe('createApp', () => {
  let app: INestApplication | undefined;
  let cleanup = () => {};
  afterEach(async () => {
    await app?.close();
    app = undefined;
    cleanup();
  });

  it('listens on the configured address (port 0: a free port) and answers /healthz', async () => {
    const t = testConfig();
    cleanup = t.cleanup;
    app = await createApp(t.config, { logger: capturedLogger().logger });
    const { host, port } = listeningAddress(app);
    expect(host).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    const res = await fetch(`${baseUrl(port)}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serves API modules under /api/v1 and nowhere else', async () => {
    const t = testConfig();
    cleanup = t.cleanup;
    app = await createApp(t.config, { logger: capturedLogger().logger, apiModules: [SampleModule] });
    const { port } = listeningAddress(app);
    const ok = await fetch(`${baseUrl(port)}/api/v1/samples`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ items: ['a'] });
    const outside = await fetch(`${baseUrl(port)}/samples`);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({ code: 'HVS-API-ROUTE-NOT-FOUND' });
  });

  it("can be composed with Test.createTestingModule, as other modules' tests build it", async () => {
    const t = testConfig();
    cleanup = t.cleanup;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(t.config, { logger: capturedLogger().logger })] }).compile();
    expect(moduleRef.get(ControllerConfig)).toBe(t.config);
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    configureApp(app);
    await app.listen(0, '127.0.0.1');
    const res = await fetch(`${baseUrl(listeningAddress(app).port)}/healthz`);
    expect(res.status).toBe(200);
  });
});
