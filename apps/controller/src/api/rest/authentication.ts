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
import { Authenticator, bearerOf, unauthenticated } from '../../identity';
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

@Injectable()
export class RestAuthentication implements NestMiddleware<AuthenticatedRequest, ResponseLike> {
  constructor(@Inject(Authenticator) private readonly authenticator: Authenticator, @Inject(Refusals) private readonly refusals: Refusals) {}

  use(req: AuthenticatedRequest, res: ResponseLike, next: (e?: unknown) => void): void {
    const route = `${req.method ?? 'GET'} ${(req.originalUrl ?? req.url ?? '').split('?')[0]!.slice(0, 120)}`;
    const bearer = bearerOf(req.headers.authorization);
    const attempt = bearer === undefined
      ? Promise.reject(unauthenticated(route, 'the request has no Authorization: Bearer header, and every /api/v1 route needs one'))
      : this.authenticator.authenticate({ bearer });
    attempt.then(
      (principal) => {
        req.hvsContext = contextFor(principal);
        next();
      },
      (e: unknown) => {
        if (!isHvsError(e)) return next(e);
        this.refusals.record('rest', route, e);
        const out = toHttpError(e);
        res.setHeader('WWW-Authenticate', 'Bearer realm="hvs"');
        res.status(out.status).json(out.body);
      },
    );
  }
}
