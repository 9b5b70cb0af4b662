import 'reflect-metadata';
import { Body, Controller, Get, Module, NotImplementedException, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { HvsError } from '@hvs/domain';
import { createApp, listeningAddress, MAX_REQUEST_BYTES } from '../../src/app';
import { baseUrl, capturedLogger, testConfig } from '../app/fixtures';

@Controller('things')
class ThingsController {
  @Get('missing')
  missing(): never {
    throw new HvsError({ code: 'HVS-VM-NOT-FOUND', category: 'NotFound', message: 'VirtualMachine web-9 does not exist', why: 'no object has that name', fix: 'list them with `hvctl get vms`' });
  }
  @Get('stale')
  stale(): never {
    throw new HvsError({ code: 'HVS-STORE-CONFLICT', category: 'Conflict', message: 'web-1 changed since you read it', fix: 're-read and retry' });
  }
  @Get('crash')
  crash(): never {
    throw new Error('etcd password=hunter2 refused');
  }
  @Get('nest')
  nest(): never {
    throw new NotImplementedException();
  }
  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
  }
}
@Module({ controllers: [ThingsController] })
class ThingsModule {}

describe('the REST exception filter', () => {
  let app: INestApplication;
  let url: string;
  let cleanup: () => void;
  const log = capturedLogger();

  beforeAll(async () => {
    const t = testConfig();
    cleanup = t.cleanup;
    app = await createApp(t.config, { logger: log.logger, apiModules: [ThingsModule] });
    url = `${baseUrl(listeningAddress(app).port)}/api/v1/things`;
  });
  afterAll(async () => {
    await app?.close();
    cleanup?.();
  });

  it('answers an HvsError with the table status and code/message/why/fix/problems', async () => {
    const res = await fetch(`${url}/missing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      code: 'HVS-VM-NOT-FOUND', category: 'NotFound', message: 'VirtualMachine web-9 does not exist', why: 'no object has that name', fix: 'list them with `hvctl get vms`',
      problems: [{ code: 'HVS-VM-NOT-FOUND', message: 'VirtualMachine web-9 does not exist', why: 'no object has that name', fix: 'list them with `hvctl get vms`' }],
    });
    expect((await fetch(`${url}/stale`)).status).toBe(409);
  });

  it('answers an unexpected error with a generic 500 and logs the original on the server only', async () => {
    const res = await fetch(`${url}/crash`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'HVS-INTERNAL', category: 'Internal' });
    expect(text).not.toMatch(/hunter2|etcd|stack|\.ts/);
    const logged = log.lines().find((l) => l.msg === 'request failed');
    expect(logged).toMatchObject({ component: 'http', code: 'HVS-INTERNAL', url: '/api/v1/things/crash', err: { message: 'etcd password=hunter2 refused' } });
  });

  it('gives framework errors HVS codes: unknown route, other HTTP exceptions, bad JSON, oversized body', async () => {
    const route = await fetch(`${url}/nope?token=abc`);
    expect(route.status).toBe(404);
    const body = await route.json();
    expect(body).toMatchObject({ code: 'HVS-API-ROUTE-NOT-FOUND', message: 'no API route GET /api/v1/things/nope' });
    expect(JSON.stringify(body)).not.toContain('abc');

    expect(await (await fetch(`${url}/nest`)).json()).toMatchObject({ code: 'HVS-API-HTTP-501' });

    const json = { method: 'POST', headers: { 'content-type': 'application/json' } };
    const bad = await fetch(`${url}/echo`, { ...json, body: '{"kind": ' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'HVS-API-JSON-INVALID', category: 'InvalidArgument' });

    const big = await fetch(`${url}/echo`, { ...json, body: JSON.stringify({ pad: 'x'.repeat(MAX_REQUEST_BYTES) }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'HVS-API-REQUEST-TOO-LARGE', why: `requests are limited to ${MAX_REQUEST_BYTES} bytes` });

    const fits = await fetch(`${url}/echo`, { ...json, body: JSON.stringify({ pad: 'x'.repeat(1000) }) });
    expect(fits.status).toBe(201);
  });
});
