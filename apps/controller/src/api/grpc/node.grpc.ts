/**
 * hvs.v1.NodeService over gRPC. Node-scoped calls (RegisterNode, Heartbeat, RenewCertificate)
 * need the caller's node certificate and may only name that node (node-identity.ts); Join is
 * open (the one-time token is the credential); token and certificate calls are operator calls
 * that refuse node certificates. Drain answers UNIMPLEMENTED with an HvsError.
 */
import { nodeStatusFromFacts, v1 } from '@hvs/proto';
import type { ClusterPki } from '../../pki';
import type { JoinService, IssuedForNode } from '../../services/join.service';
import type { NodeService } from '../../services/node.service';
import { clusterStatus } from '../../services/cluster-status';
import { diagnoseNode } from '../../services/node-diagnosis';
import type { EtcdConnection, ObjectStore } from '../../store';
import type { DrainService } from '../../migration/drain.service';
import { drainHandler } from './migration.grpc';
import { unary, unimplementedHandler, type GrpcEdge } from './grpc-call';
import { protoObject } from './resource.grpc';

/** What joining and node identity need; the API is always served with it (TLS is required). */
export interface NodeSecurity {
  pki: ClusterPki;
  join: JoinService;
  store: ObjectStore;
  etcd: EtcdConnection;
}

function joinResponse(i: IssuedForNode): v1.JoinResponse {
  return { certificatePem: i.certificatePem, caCertificatePem: i.caCertificatePem, expiresAt: i.expiresAt.toISOString(), controllerAddresses: i.controllerAddresses };
}

export function nodeHandlers(service: NodeService, edge: GrpcEdge, sec: NodeSecurity, drain?: DrainService): v1.NodeServiceServer {
  const { pki, join } = sec;
  return {
    registerNode: unary(edge, 'NodeService/RegisterNode', async (r: v1.RegisterNodeRequest, ctx) => {
      const reg = await service.registerNode({ name: r.name, address: r.address, facts: r.facts ? nodeStatusFromFacts(r.facts) : {}, labels: r.labels }, ctx);
      return { node: protoObject(reg.node), heartbeatIntervalMs: reg.heartbeatIntervalMs, leaseTtlMs: reg.leaseTtlMs, fenceAfterMs: reg.fenceAfterMs };
    }),
    heartbeat: unary(edge, 'NodeService/Heartbeat', async (r: v1.NodeHeartbeatRequest, ctx) => ({ leaseTtlMs: (await service.heartbeat(r.node, ctx)).leaseTtlMs, assignedGeneration: 0 })),
    cordon: unary(edge, 'NodeService/Cordon', async (r: v1.NodeNameRequest, ctx) => protoObject(await service.cordon(r.name, ctx))),
    uncordon: unary(edge, 'NodeService/Uncordon', async (r: v1.NodeNameRequest, ctx) => protoObject(await service.uncordon(r.name, ctx))),
    drain: drain ? drainHandler(drain, edge) : unimplementedHandler(edge, 'NodeService/Drain'),
    createJoinToken: unary(edge, 'NodeService/CreateJoinToken', async (r: v1.CreateJoinTokenRequest, ctx) => {
      const t = await join.createToken({ ttlMs: r.ttlSeconds > 0 ? r.ttlSeconds * 1000 : undefined, nodeName: r.nodeName || undefined, replace: r.replace, uses: r.uses || undefined }, ctx);
      return { token: t.token, expiresAt: t.expiresAt.toISOString(), caFingerprint: t.caFingerprint, controllerAddresses: [] };
    }),
    join: unary(edge, 'NodeService/Join', async (r: v1.JoinRequest) =>
      joinResponse(await join.join({ token: r.token, nodeName: r.nodeName, csrPem: r.csrPem, address: r.address }))),
    renewCertificate: unary(edge, 'NodeService/RenewCertificate', async (r: v1.RenewCertificateRequest, ctx) => joinResponse(await join.renew(r.csrPem, ctx))),
    listJoinTokens: unary(edge, 'NodeService/ListJoinTokens', async (_r: v1.ListJoinTokensRequest, ctx) =>
      ({ tokens: (await join.listTokens(ctx)).map((t) => ({ id: t.id, createdAt: t.createdAt, expiresAt: t.expiresAt, nodeName: t.nodeName ?? '', expired: t.expired, replace: t.replace === true, usesLeft: t.usesLeft })) })),
    revokeJoinToken: unary(edge, 'NodeService/RevokeJoinToken', async (r: v1.RevokeJoinTokenRequest, ctx) => ({ revoked: await join.revokeToken(r.id, ctx) })),
    listCertificates: unary(edge, 'NodeService/ListCertificates', async (_r: v1.ListCertificatesRequest, ctx) => ({ certificates: await join.certificates(ctx) })),
    diagnoseNode: unary(edge, 'NodeService/DiagnoseNode', async (r: v1.NodeNameRequest, ctx) => diagnoseNode(ctx, sec.store, pki.dialAgent, r.name)),
    clusterStatus: unary(edge, 'NodeService/ClusterStatus', async (_r: v1.ClusterStatusRequest, ctx) => clusterStatus(ctx, sec.etcd)),
  };
}
