/** hvs.v1.AuditService over gRPC: List delegates to AuditService. */
import type { v1 } from '@hvs/proto';
import type { AuditRecord, AuditService } from '../../audit';
import { unary, type GrpcEdge } from './grpc-call';

/** The wire form: result is "ok" or the error code. */
export function protoAuditRecord(r: AuditRecord): v1.AuditRecord {
  return {
    time: r.time, actor: r.actor, operation: r.operation, kind: r.kind, name: r.name,
    generationBefore: r.generationBefore, generationAfter: r.generationAfter,
    result: r.result === 'ok' ? 'ok' : r.code ?? 'error', message: '', uid: r.uid ?? '',
  };
}

export function auditHandlers(service: AuditService, edge: GrpcEdge): v1.AuditServiceServer {
  return {
    list: unary(edge, 'AuditService/List', async (r: v1.AuditListRequest) => {
      const page = await service.list({ kind: r.kind, name: r.name, actor: r.actor, since: r.since }, r.limit, r.continueToken);
      return { records: page.records.map(protoAuditRecord), continueToken: page.continueToken };
    }),
  };
}
