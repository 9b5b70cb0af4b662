/**
 * The REST error boundary: every exception leaving a Nest HTTP handler becomes
 * `toHttpError`'s JSON. Framework errors that are the client's fault (unknown route,
 * malformed JSON, body over the size limit) get their own HVS codes and keep their HTTP
 * status; anything unexpected is logged here and answered with a generic 500.
 */
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HvsError, isHvsError } from '@hvs/domain';
import type { Logger } from 'pino';
import { toHttpError, type HttpError } from './to-error';

interface HttpResponseLike {
  headersSent?: boolean;
  setHeader?(name: string, value: string): unknown;
  status(code: number): { json(body: unknown): void };
}
interface HttpRequestLike {
  method?: string;
  url?: string;
}

/**
 * Body-parser errors carry `type` and `status`; they are client mistakes, not faults.
 * Nest's express adapter wraps them in an HttpException whose `cause` is the original.
 */
function bodyParserError(e: unknown): HttpError | undefined {
  const t = (e as { type?: unknown })?.type;
  if (t === 'entity.too.large') {
    const limit = (e as { limit?: number }).limit;
    return withStatus(413, new HvsError({
      code: 'HVS-API-REQUEST-TOO-LARGE', category: 'ResourceExhausted',
      message: 'the request body is too large',
      why: `requests are limited to ${limit ?? 'the configured number of'} bytes`,
      fix: 'split the batch into several smaller applies',
    }));
  }
  if (t === 'entity.parse.failed') {
    return withStatus(400, new HvsError({
      code: 'HVS-API-JSON-INVALID', category: 'InvalidArgument',
      message: 'the request body is not valid JSON',
      why: 'the REST API accepts only JSON bodies',
      fix: 'send a JSON document with Content-Type: application/json (hvctl does this for you)',
    }));
  }
  return undefined;
}

function withStatus(status: number, err: HvsError): HttpError {
  return { status, body: toHttpError(err).body };
}

/** Nest's own HttpExceptions (404 for an unknown route, 405...), as HVS errors. */
function nestHttpError(e: HttpException, req: HttpRequestLike): HttpError {
  const status = e.getStatus();
  if (status === 404) {
    return withStatus(404, new HvsError({
      code: 'HVS-API-ROUTE-NOT-FOUND', category: 'NotFound',
      message: `no API route ${req.method ?? ''} ${(req.url ?? '').split('?')[0]}`.replace(/\s+/g, ' ').trim(),
      why: 'the path or method is not part of this controller\'s API',
      fix: 'check the URL against /api/v1/openapi.json; client and controller versions may differ',
    }));
  }
  const category = status >= 500 ? 'Internal' : 'InvalidArgument';
  return withStatus(status, new HvsError({
    code: `HVS-API-HTTP-${status}`, category,
    message: `the request was refused with HTTP ${status}`,
    why: status >= 500 ? 'the server failed' : 'the request is not acceptable to this route',
    fix: 'check the method, path and headers against /api/v1/openapi.json',
  }));
}

@Catch()
export class HvsExceptionFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<HttpResponseLike>();
    const req = http.getRequest<HttpRequestLike>();
    let out: HttpError;
    if (isHvsError(exception)) out = toHttpError(exception);
    else if (exception instanceof HttpException) out = bodyParserError(exception.cause) ?? nestHttpError(exception, req);
    else out = bodyParserError(exception) ?? toHttpError(exception);
    if (out.status >= 500) {
      this.log.error({ err: exception, method: req.method, url: req.url?.split('?')[0], code: out.body.code }, 'request failed');
    }
    if (res.headersSent) return;
    // A body refused unread (too large) may still be arriving: close the connection after the
    // answer, so a client that keeps sending cannot hold it (and the controller's shutdown) open.
    if (out.status === 413) res.setHeader?.('Connection', 'close');
    res.status(out.status).json(out.body);
  }
}
