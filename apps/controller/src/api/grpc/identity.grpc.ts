/** hvs.v1.IdentityService over gRPC: each method converts the message and delegates to IdentityService. */
import type { v1 } from '@hvs/proto';
import type { TokenRecord, UserRecord } from '../../identity';
import type { IdentityService } from '../../services/identity.service';
import { unary, type GrpcEdge } from './grpc-call';

function userInfo(u: UserRecord): v1.UserInfo {
  const newest = [...u.certificates].sort((a, b) => b.expiresAt.localeCompare(a.expiresAt))[0];
  return { name: u.name, role: u.role, scope: u.scope ?? '', createdAt: u.createdAt, certificateFingerprints: u.certificates.map((c) => c.fingerprint), certificateExpiresAt: newest?.expiresAt ?? '' };
}

function tokenInfo(t: TokenRecord): v1.TokenInfo {
  return { id: t.id, name: t.name, role: t.role, scope: t.scope ?? '', createdAt: t.createdAt, expiresAt: t.expiresAt, createdBy: t.createdBy, type: t.type };
}

export function identityHandlers(service: IdentityService, edge: GrpcEdge): v1.IdentityServiceServer {
  return {
    createUser: unary(edge, 'IdentityService/CreateUser', async (r: v1.CreateUserRequest, ctx) => {
      const out = await service.createUser({ name: r.name, role: r.role, scope: r.scope || undefined, csrPem: r.csrPem, validityDays: r.validityDays, renew: r.renew }, ctx);
      return { user: userInfo(out.user), certificatePem: out.certificatePem, caCertificatePem: out.caCertificatePem };
    }),
    listUsers: unary(edge, 'IdentityService/ListUsers', async (_r: v1.ListUsersRequest, ctx) => ({ users: (await service.listUsers(ctx)).map(userInfo) })),
    deleteUser: unary(edge, 'IdentityService/DeleteUser', async (r: v1.DeleteUserRequest, ctx) => ({ deleted: await service.deleteUser(r.name, ctx) })),
    createToken: unary(edge, 'IdentityService/CreateToken', async (r: v1.CreateTokenRequest, ctx) => {
      const out = await service.createToken({ name: r.name, role: r.role, scope: r.scope || undefined, ttlSeconds: r.ttlSeconds }, ctx);
      return { token: tokenInfo(out.token), secret: out.secret };
    }),
    listTokens: unary(edge, 'IdentityService/ListTokens', async (_r: v1.ListTokensRequest, ctx) => ({ tokens: (await service.listTokens(ctx)).map(tokenInfo) })),
    revokeToken: unary(edge, 'IdentityService/RevokeToken', async (r: v1.RevokeTokenRequest, ctx) => ({ revoked: await service.revokeToken(r.id, ctx) })),
    whoAmI: unary(edge, 'IdentityService/WhoAmI', async (_r: v1.WhoAmIRequest, ctx) => {
      const { principal: p, permissions } = service.whoAmI(ctx);
      return {
        kind: p.kind, name: p.kind === 'user' ? p.name : p.kind === 'node' ? p.node : p.kind === 'system' ? p.name : '',
        role: p.kind === 'user' ? p.role : '', scope: p.kind === 'user' ? p.scope ?? '' : '', credential: p.kind === 'user' ? p.via : p.kind === 'node' ? 'certificate' : '', permissions,
      };
    }),
    canI: unary(edge, 'IdentityService/CanI', async (r: v1.CanIRequest, ctx) => service.canI(r.action, { kind: r.kind || undefined, name: r.name || undefined }, ctx)),
    createSession: unary(edge, 'IdentityService/CreateSession', async (r: v1.CreateSessionRequest, ctx) => service.createSession(r.ttlSeconds, ctx)),
    createTicket: unary(edge, 'IdentityService/CreateTicket', async (r: v1.CreateTicketRequest, ctx) => service.createTicket(r.purpose, ctx)),
  };
}
