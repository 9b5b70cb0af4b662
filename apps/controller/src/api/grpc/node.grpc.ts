/** hvs.v1.NodeService over gRPC: RegisterNode, Heartbeat, Cordon, Uncordon; the rest answer UNIMPLEMENTED with an HvsError. */
import { nodeStatusFromFacts, v1 } from '@hvs/proto';
import type { NodeService } from '../../services/node.service';
import { notImplemented } from '../../services/errors';
import { unary, unimplemented, type GrpcEdge } from './grpc-call';
import { protoObject } from './resource.grpc';

const FENCE_AFTER_MS = 15_000;

export function nodeHandlers(service: NodeService, edge: GrpcEdge): v1.NodeServiceServer {
  return {
    registerNode: unary(edge, 'NodeService/RegisterNode', async (r: v1.RegisterNodeRequest, ctx) => {
      const reg = await service.registerNode({ name: r.name, address: r.address, facts: r.facts ? nodeStatusFromFacts(r.facts) : {}, labels: r.labels }, ctx);
      return { node: protoObject(reg.node), heartbeatIntervalMs: reg.heartbeatIntervalMs, leaseTtlMs: reg.leaseTtlMs, fenceAfterMs: FENCE_AFTER_MS };
    }),
    heartbeat: unary(edge, 'NodeService/Heartbeat', async (r: v1.NodeHeartbeatRequest) =>
      ({ leaseTtlMs: (await service.heartbeat(r.node)).leaseTtlMs, assignedGeneration: 0 })),
    cordon: unary(edge, 'NodeService/Cordon', async (r: v1.NodeNameRequest, ctx) => protoObject(await service.cordon(r.name, ctx))),
    uncordon: unary(edge, 'NodeService/Uncordon', async (r: v1.NodeNameRequest, ctx) => protoObject(await service.uncordon(r.name, ctx))),
    drain: (call) => call.emit('error', unimplemented(notImplemented('NodeService/Drain'))),
    createJoinToken: (_call, callback) => callback(unimplemented(notImplemented('NodeService/CreateJoinToken'))),
    join: (_call, callback) => callback(unimplemented(notImplemented('NodeService/Join'))),
    renewCertificate: (_call, callback) => callback(unimplemented(notImplemented('NodeService/RenewCertificate'))),
  };
}
