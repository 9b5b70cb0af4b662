/**
 * The HTTP port's first middleware (before body parsing and every route): applies
 * http-policy.ts's decision. A refused request is answered here with its coded error and
 * counted (`hvs_api_requests_total{transport="rest",method="refused"}`); it never reaches a
 * parser, a service or the audit log. Requests that came in on the separate health listener
 * (HVS_HEALTH_LISTEN, marked by it) pass: that port serves nothing but probes and metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toHttpError } from '../../errors';
import type { Metrics } from '../../observability';
import { decide, type HttpEdgePolicy } from './http-policy';

/** Set on a request by the health listener (app/health-listener.ts). */
export const FROM_HEALTH_LISTENER = Symbol('hvs.fromHealthListener');

type Next = (err?: unknown) => void;

/** Answers with `error` as the REST error body (status from the one table), on a bare node response. */
export function sendHttpError(res: ServerResponse, error: unknown, headers: Record<string, string> = {}): number {
  const { status, body } = toHttpError(error);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
  return status;
}

export function transportGuard(policy: HttpEdgePolicy, metrics?: Metrics): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  return (req, res, next) => {
    if ((req as unknown as Record<symbol, unknown>)[FROM_HEALTH_LISTENER] === true) return next();
    const started = process.hrtime.bigint();
    const d = decide(policy, req);
    if (d.refused === undefined) {
      for (const [k, v] of Object.entries(d.headers)) res.setHeader(k, v);
      if (!d.preflight) return next();
      res.statusCode = 204;
      res.end();
      return;
    }
    // The body was not read: close the connection rather than parse what follows it.
    const status = sendHttpError(res, d.refused, { connection: 'close' });
    metrics?.observeApiRequest('rest', 'refused', status, Number(process.hrtime.bigint() - started) / 1e9);
  };
}
