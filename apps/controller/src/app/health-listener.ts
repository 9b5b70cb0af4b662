/**
 * HVS_HEALTH_LISTEN: a second, plain-HTTP port serving GET/HEAD /healthz, /readyz and
 * /metrics only (the same handlers as the API port), so a load balancer or Prometheus can
 * probe without TLS, a Host name or API access. Everything else there is a coded 404: the
 * API is never reachable through it. Started with the app, closed with it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HvsError } from '@hvs/domain';
import { FROM_HEALTH_LISTENER, sendHttpError } from '../api/rest/transport-guard';
import { ControllerConfig, formatListen, type ListenAddress } from '../config';

const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function notHere(): HvsError {
  return new HvsError({
    code: 'HVS-API-ROUTE-NOT-FOUND', category: 'NotFound',
    message: 'the health listener serves only GET /healthz, /readyz and /metrics',
    why: 'HVS_HEALTH_LISTEN is for probes and scrapes; the API is served on HVS_HTTP_LISTEN only',
    fix: 'call the API on the HTTP API address (HVS_HTTP_LISTEN)',
  });
}

@Injectable()
export class HealthListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | undefined;

  constructor(@Inject(ControllerConfig) private readonly config: ControllerConfig, @Inject(HttpAdapterHost) private readonly adapter: HttpAdapterHost) {}

  /** Where it listens (the real port when the config said 0); undefined before start. */
  get address(): ListenAddress | undefined {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const listen = this.config.healthListen;
    if (listen === undefined) return;
    const app = this.adapter.httpAdapter.getInstance<(req: IncomingMessage, res: ServerResponse) => void>();
    const server = createServer((req, res) => {
      if ((req.method === 'GET' || req.method === 'HEAD') && PROBE_PATHS.has((req.url ?? '').split('?')[0])) {
        (req as unknown as Record<symbol, unknown>)[FROM_HEALTH_LISTENER] = true;
        return app(req, res);
      }
      sendHttpError(res, notHere());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new HvsError({
        code: 'HVS-CONTROLLER-LISTEN-FAILED', category: 'FailedPrecondition',
        message: `cannot listen for health probes on ${formatListen(listen)}`, why: `listening failed (${e.code ?? e.message})`,
        fix: 'set HVS_HEALTH_LISTEN to a free local address, or unset it to probe the API port',
      })));
      server.listen(listen.port, listen.host, () => resolve());
    });
    this.server = server;
  }

  async onApplicationShutdown(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
