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
import { notImplemented } from '../../services/errors';
import type { EtcdConnection, ObjectStore } from '../../store';
import type { DrainService } from '../../migration/drain.service';
import { drainHandler } from './migration.grpc';
import { unary, unimplemented, type GrpcEdge } from './grpc-call';
import { refuseNodeCaller, requireNodeFor } from './node-identity';
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
    registerNode: unary(edge, 'NodeService/RegisterNode', async (r: v1.RegisterNodeRequest, ctx, call) => {
      await requireNodeFor(pki, call, 'NodeService/RegisterNode', r.name);
      const reg = await service.registerNode({ name: r.name, address: r.address, facts: r.facts ? nodeStatusFromFacts(r.facts) : {}, labels: r.labels }, { ...ctx, actor: `node:${r.name}` });
      return { node: protoObject(reg.node), heartbeatIntervalMs: reg.heartbeatIntervalMs, leaseTtlMs: reg.leaseTtlMs, fenceAfterMs: reg.fenceAfterMs };
    }),
    heartbeat: unary(edge, 'NodeService/Heartbeat', async (r: v1.NodeHeartbeatRequest, _ctx, call) => {
      await requireNodeFor(pki, call, 'NodeService/Heartbeat', r.node);
      return { leaseTtlMs: (await service.heartbeat(r.node)).leaseTtlMs, assignedGeneration: 0 };
    }),
    cordon: unary(edge, 'NodeService/Cordon', async (r: v1.NodeNameRequest, ctx) => protoObject(await service.cordon(r.name, ctx))),
    uncordon: unary(edge, 'NodeService/Uncordon', async (r: v1.NodeNameRequest, ctx) => protoObject(await service.uncordon(r.name, ctx))),
    drain: drain ? drainHandler(drain, edge, (call) => refuseNodeCaller(pki, call, 'NodeService/Drain')) : (call) => call.emit('error', unimplemented(notImplemented('NodeService/Drain'))),
    createJoinToken: unary(edge, 'NodeService/CreateJoinToken', async (r: v1.CreateJoinTokenRequest, ctx, call) => {
      await refuseNodeCaller(pki, call, 'NodeService/CreateJoinToken');
      const t = await join.createToken({ ttlMs: r.ttlSeconds > 0 ? r.ttlSeconds * 1000 : undefined, nodeName: r.nodeName || undefined, replace: r.replace, uses: r.uses || undefined }, ctx);
      return { token: t.token, expiresAt: t.expiresAt.toISOString(), caFingerprint: t.caFingerprint, controllerAddresses: [] };
    }),
    join: unary(edge, 'NodeService/Join', async (r: v1.JoinRequest) =>
      joinResponse(await join.join({ token: r.token, nodeName: r.nodeName, csrPem: r.csrPem, address: r.address }))),
    renewCertificate: unary(edge, 'NodeService/RenewCertificate', async (r: v1.RenewCertificateRequest, _ctx, call) =>
      joinResponse(await join.renew(await pki.requireNode(call, 'NodeService/RenewCertificate'), r.csrPem))),
    listJoinTokens: unary(edge, 'NodeService/ListJoinTokens', async (_r: v1.ListJoinTokensRequest, _ctx, call) => {
      await refuseNodeCaller(pki, call, 'NodeService/ListJoinTokens');
      return { tokens: (await join.listTokens()).map((t) => ({ id: t.id, createdAt: t.createdAt, expiresAt: t.expiresAt, nodeName: t.nodeName ?? '', expired: t.expired, replace: t.replace === true, usesLeft: t.usesLeft })) };
    }),
    revokeJoinToken: unary(edge, 'NodeService/RevokeJoinToken', async (r: v1.RevokeJoinTokenRequest, ctx, call) => {
      await refuseNodeCaller(pki, call, 'NodeService/RevokeJoinToken');
      return { revoked: await join.revokeToken(r.id, ctx) };
    }),
    listCertificates: unary(edge, 'NodeService/ListCertificates', async (_r: v1.ListCertificatesRequest, _ctx, call) => {
      await refuseNodeCaller(pki, call, 'NodeService/ListCertificates');
      return { certificates: await join.certificates() };
    }),
    diagnoseNode: unary(edge, 'NodeService/DiagnoseNode', async (r: v1.NodeNameRequest, _ctx, call) => {
      await refuseNodeCaller(pki, call, 'NodeService/DiagnoseNode');
      return diagnoseNode(sec.store, pki.dialAgent, r.name);
    }),
    clusterStatus: unary(edge, 'NodeService/ClusterStatus', async () => clusterStatus(sec.etcd)),
  };
}
