/** Reading the audit log (AuditService/List, GET /api/v1/audit): audit.read, and a scoped caller sees only records of its objects. */
import type { AuditFilter, AuditPage, AuditService } from '../audit';
import type { ObjectStore } from '../store';
import { admit, objectVisibility } from './access';
import type { CallContext } from './call-context';

export class AuditReader {
  constructor(private readonly audit: AuditService, private readonly store: Pick<ObjectStore, 'get'>) {}

  async list(filter: AuditFilter, limit: number, continueToken: string | undefined, ctx: CallContext): Promise<AuditPage> {
    admit(ctx, 'AuditService/List');
    const page = await this.audit.list(filter, limit, continueToken);
    const vis = objectVisibility(this.store, ctx);
    if (vis === undefined) return page;
    const keep = await Promise.all(page.records.map((r) => (r.kind && r.name ? vis(r.kind, r.name) : Promise.resolve(false))));
    return { ...page, records: page.records.filter((_, i) => keep[i]) };
  }
}
