import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createApp, listeningAddress } from '../../src/app';
import { Metrics, Readiness } from '../../src/observability';
import { baseUrl, capturedLogger, testConfig } from '../app/fixtures';

describe('probe and metrics endpoints (real HTTP on 127.0.0.1:0)', () => {
  let app: INestApplication;
  let url: string;
  let cleanup: () => void;
  const metrics = new Metrics();
  const readiness = new Readiness(200);

  beforeAll(async () => {
    const t = testConfig();
    cleanup = t.cleanup;
    app = await createApp(t.config, { logger: capturedLogger().logger, metrics, readiness });
    url = baseUrl(listeningAddress(app).port);
  });
  afterAll(async () => {
    await app?.close();
    cleanup?.();
  });

  it('/metrics returns Prometheus text with the hvs_ metrics and the default process metrics', async () => {
    metrics.observeReconcile('scheduler', 'error', 0.02);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of ['hvs_api_requests_total', 'hvs_api_request_duration_seconds', 'hvs_reconcile_total', 'hvs_reconcile_duration_seconds', 'hvs_reconcile_errors_total']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('hvs_reconcile_errors_total{reconciler="scheduler"} 1');
    expect(text).toContain('hvs_reconcile_total{reconciler="scheduler",result="error"} 1');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('counts REST requests by route pattern and status code, unknown routes as `unmatched`', async () => {
    await fetch(`${url}/healthz`);
    await fetch(`${url}/no/such/path?x=1`);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/hvs_api_requests_total\{transport="rest",method="GET \/healthz",code="200"\} [1-9]/);
    expect(text).toMatch(/hvs_api_requests_total\{transport="rest",method="unmatched",code="404"\} 1/);
    expect(text).not.toContain('no/such/path');
    expect(text).toMatch(/hvs_api_request_duration_seconds_count\{transport="rest",method="GET \/healthz"\} [1-9]/);
  });

  it('/readyz is 200 when every check passes and 503 naming the failing or hung ones', async () => {
    readiness.register('etcd', () => {});
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    readiness.register('redis', () => {
      throw new Error('redis at 127.0.0.1:6379 refused the connection');
    });
    readiness.register('hung', () => new Promise<void>(() => {}));
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'not ready',
      checks: [
        { name: 'etcd', ok: true },
        { name: 'redis', ok: false, error: 'redis at 127.0.0.1:6379 refused the connection' },
        { name: 'hung', ok: false, error: 'hung did not answer within 200 ms' },
      ],
    });
    readiness.unregister('redis');
    readiness.unregister('hung');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });
});
