/** hvs.v1.AuditService over gRPC: List delegates to AuditReader (permission and scope). */
import type { v1 } from '@hvs/proto';
import type { AuditRecord } from '../../audit';
import type { AuditReader } from '../../services/audit-reader';
import { unary, type GrpcEdge } from './grpc-call';

/** The wire form: result is "ok" or the error code. */
export function protoAuditRecord(r: AuditRecord): v1.AuditRecord {
  return {
    time: r.time, actor: r.actor, operation: r.operation, kind: r.kind, name: r.name,
    generationBefore: r.generationBefore, generationAfter: r.generationAfter,
    result: r.result === 'ok' ? 'ok' : r.code ?? 'error', message: '', uid: r.uid ?? '',
  };
}

export function auditHandlers(service: AuditReader, edge: GrpcEdge): v1.AuditServiceServer {
  return {
    list: unary(edge, 'AuditService/List', async (r: v1.AuditListRequest, ctx) => {
      const page = await service.list({ kind: r.kind, name: r.name, actor: r.actor, since: r.since }, r.limit, r.continueToken, ctx);
      return { records: page.records.map(protoAuditRecord), continueToken: page.continueToken };
    }),
  };
}
