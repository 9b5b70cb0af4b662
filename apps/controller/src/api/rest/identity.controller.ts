/**
 * /api/v1/identity: what a web page needs about its own caller (docs/security.md): who am I,
 * may I (as Kubernetes' self subject access review), a short-lived session token exchanged
 * for the bearer token it holds, and single-use tickets for WebSocket/EventSource
 * connections (which cannot carry an Authorization header). Delegates to IdentityService.
 */
import { Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { IdentityService } from '../../services/identity.service';
import { actionBody } from './action-body';
import { contextOf, str, type RequestLike } from './request-body';

@Controller('identity')
export class IdentityController {
  constructor(@Inject(IdentityService) private readonly identity: IdentityService) {}

  @Get('whoami')
  whoami(@Req() req: RequestLike) {
    const { principal, permissions } = this.identity.whoAmI(contextOf(req));
    return { ...principal, permissions };
  }

  @Post('can-i')
  @HttpCode(200)
  canI(@Req() req: RequestLike) {
    const b = actionBody(req, 'POST /api/v1/identity/can-i', ['action', 'kind', 'name']);
    return this.identity.canI(str(b.action) ?? '', { kind: str(b.kind), name: str(b.name) }, contextOf(req));
  }

  @Post('session')
  @HttpCode(200)
  session(@Req() req: RequestLike) {
    const b = actionBody(req, 'POST /api/v1/identity/session', ['ttlSeconds']);
    return this.identity.createSession(typeof b.ttlSeconds === 'number' ? b.ttlSeconds : 0, contextOf(req));
  }

  @Post('tickets')
  @HttpCode(200)
  ticket(@Req() req: RequestLike) {
    const b = actionBody(req, 'POST /api/v1/identity/tickets', ['purpose']);
    return this.identity.createTicket(str(b.purpose) ?? '', contextOf(req));
  }
}
