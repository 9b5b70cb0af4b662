import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One file served by a real HTTP server on 127.0.0.1 (port 0), with knobs for the failure cases. */
export interface ImageServerOptions {
  /** Honour `Range` (206); false: always 200 with the whole file. */
  ranges?: boolean;
  /** Cut the connection of the first full request after this many body bytes. */
  cutOnceAfter?: number;
  /** Claim this Content-Length (disk-full test); the body is never sent. */
  claimLength?: number;
}

export interface ImageServer {
  url(path?: string): string;
  port: number;
  /** Every request: path and Range header. */
  requests: { path: string; range: string | undefined }[];
  /** Most requests in flight at once. */
  maxInFlight: number;
  /** Extra routes: path -> handler. */
  route(path: string, fn: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

export async function serveImage(body: Buffer, opts: ImageServerOptions = {}): Promise<ImageServer> {
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  let cut = opts.cutOnceAfter;
  let inFlight = 0;
  const state: ImageServer = {} as ImageServer;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    state.requests.push({ path, range: req.headers.range });
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.once('close', () => inFlight--);
    const extra = routes.get(path);
    if (extra) return extra(req, res);
    if (!path.startsWith('/img')) {
      res.writeHead(404).end('no such file');
      return;
    }
    if (opts.claimLength !== undefined) {
      res.writeHead(200, { 'content-length': String(opts.claimLength) });
      res.flushHeaders();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = opts.ranges !== false && m ? Number(m[1]) : 0;
    if (start > body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const part = body.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': String(part.length), ...(opts.ranges !== false ? { 'accept-ranges': 'bytes' } : {}),
      ...(start > 0 ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (cut !== undefined && start === 0) {
      const n = cut;
      cut = undefined;
      res.write(part.subarray(0, n), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  Object.assign(state, {
    port, requests: [], maxInFlight: 0,
    url: (p = '/img') => `http://127.0.0.1:${port}${p}`,
    route: (p: string, fn: (req: IncomingMessage, res: ServerResponse) => void) => routes.set(p, fn),
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  });
  return state;
}
