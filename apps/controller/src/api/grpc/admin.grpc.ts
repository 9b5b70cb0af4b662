/** hvs.v1.AdminService over gRPC: each method delegates to AdminService in one line. */
import type { v1 } from '@hvs/proto';
import type { AdminService } from '../../services/admin.service';
import { unary, type GrpcEdge } from './grpc-call';

export function adminHandlers(service: AdminService, edge: GrpcEdge): v1.AdminServiceServer {
  return {
    rotateEncryptionKey: unary(edge, 'AdminService/RotateEncryptionKey', async (_r: v1.RotateEncryptionKeyRequest, ctx) => {
      const r = await service.rotateEncryptionKey(ctx);
      return { keyId: r.keyId, reencrypted: r.resealed, retiredKeyIds: r.retired };
    }),
  };
}
