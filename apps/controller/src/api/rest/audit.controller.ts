/** GET /api/v1/audit?kind=&name=&actor=&operation=&since=&limit=&continue= : the audit log, newest first. */
import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import { AuditReader } from '../../services/audit-reader';
import { contextOf, str, type RequestLike } from './request-body';

@Controller('audit')
export class AuditController {
  constructor(@Inject(AuditReader) private readonly audit: AuditReader) {}

  @Get()
  list(@Query() q: Record<string, unknown>, @Req() req: RequestLike) {
    return this.audit.list({ kind: str(q.kind), name: str(q.name), actor: str(q.actor), operation: str(q.operation), since: str(q.since) }, Number(q.limit) || 100, str(q.continue), contextOf(req));
  }
}
