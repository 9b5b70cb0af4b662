/** GET /api/v1/audit?kind=&name=&actor=&operation=&since=&limit=&continue= : the audit log, newest first. */
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { AuditService } from '../../audit';
import { str } from './request-body';

@Controller('audit')
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get()
  list(@Query() q: Record<string, unknown>) {
    return this.audit.list({ kind: str(q.kind), name: str(q.name), actor: str(q.actor), operation: str(q.operation), since: str(q.since) }, Number(q.limit) || 100, str(q.continue));
  }
}
