import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config/config';
import type { AgentMetrics } from './agent-metrics';

/** `GET /metrics` (Prometheus text) and `GET /healthz` on the metrics address. */
export class MetricsServer {
  private server: Server | undefined;

  constructor(private readonly metrics: AgentMetrics) {}

  async listen(at: ListenAddress): Promise<string> {
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/metrics') {
        this.metrics.text().then(
          (body) => {
            res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
            res.end(body);
          },
          (e: Error) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`HVS-AGENT-METRICS-FAILED: collecting metrics failed: ${e.message}\n`);
          },
        );
        return;
      }
      if (req.method === 'GET' && req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok\n');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /metrics or /healthz\n');
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    return `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
