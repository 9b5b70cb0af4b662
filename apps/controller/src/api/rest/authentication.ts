/**
 * Who is calling over REST: only `Authorization: Bearer <token>` (an API token or a session).
 * Never a cookie and never a TLS client certificate, both of which a browser attaches on its
 * own to a request another site makes it send: a credential the page must put in a header
 * itself is what makes CSRF impossible. Every /api/v1 route needs one; a request without a
 * valid one is answered 401 here, before any route runs, counted (hvs_api_unauthenticated_total)
 * and never written to the audit log.
 */
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { isHvsError } from '@hvs/domain';
import { Authenticator, authorize, bearerOf, unauthenticated } from '../../identity';
import { ControllerConfig } from '../../config';
import { toHttpError } from '../../errors';
import { contextFor, type CallContext } from '../../services/call-context';
import { Refusals } from '../../services/refusals';

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  method?: string;
  originalUrl?: string;
  url?: string;
  hvsContext?: CallContext;
}

interface ResponseLike {
  status(code: number): ResponseLike;
  setHeader(name: string, value: string): unknown;
  json(body: unknown): unknown;
}

/** How a request is named in refusals and logs: method and path, no query (it may carry a token). */
export function routeOf(req: Pick<AuthenticatedRequest, 'method' | 'originalUrl' | 'url'>): string {
  return `${req.method ?? 'GET'} ${(req.originalUrl ?? req.url ?? '').split('?')[0]!.slice(0, 120)}`;
}

@Injectable()
export class RestAuthentication implements NestMiddleware<AuthenticatedRequest, ResponseLike> {
  constructor(@Inject(Authenticator) private readonly authenticator: Authenticator, @Inject(Refusals) private readonly refusals: Refusals) {}

  use(req: AuthenticatedRequest, res: ResponseLike, next: (e?: unknown) => void): void {
    this.authenticate(req, res, next, 'every /api/v1 route needs one');
  }

  /** Sets req.hvsContext and calls `then`, or answers 401 (`needs` says why a credential was required). */
  protected authenticate(req: AuthenticatedRequest, res: ResponseLike, next: (e?: unknown) => void, needs: string, then: (ctx: CallContext) => void = () => next()): void {
    const route = routeOf(req);
    const bearer = bearerOf(req.headers.authorization);
    const attempt = bearer === undefined
      ? Promise.reject(unauthenticated(route, `the request has no Authorization: Bearer header, and ${needs}`))
      : this.authenticator.authenticate({ bearer });
    attempt.then(
      (principal) => {
        req.hvsContext = contextFor(principal);
        try {
          then(req.hvsContext);
        } catch (e) {
          this.refuse(route, res, next, e, req.hvsContext);
        }
      },
      (e: unknown) => this.refuse(route, res, next, e),
    );
  }

  private refuse(route: string, res: ResponseLike, next: (e?: unknown) => void, e: unknown, ctx?: CallContext): void {
    if (!isHvsError(e)) return next(e);
    this.refusals.record('rest', route, e, ctx);
    const out = toHttpError(e);
    if (out.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="hvs"');
    res.status(out.status).json(out.body);
  }
}

/**
 * GET /metrics with HVS_METRICS_AUTH=token: a bearer token whose role reads (a viewer is
 * enough), so the figures (VM names, node names) are not public. With `none` (the default)
 * it answers anyone, as /healthz and /readyz always do.
 */
@Injectable()
export class MetricsAuthentication extends RestAuthentication {
  constructor(@Inject(Authenticator) authenticator: Authenticator, @Inject(Refusals) refusals: Refusals, @Inject(ControllerConfig) private readonly config: ControllerConfig) {
    super(authenticator, refusals);
  }

  override use(req: AuthenticatedRequest, res: ResponseLike, next: (e?: unknown) => void): void {
    if (this.config.metricsAuth !== 'token') return next();
    this.authenticate(req, res, next, 'HVS_METRICS_AUTH=token asks for one on /metrics', (ctx) => {
      authorize(ctx.principal, 'resources.read', 'GET /metrics');
      next();
    });
  }
}
