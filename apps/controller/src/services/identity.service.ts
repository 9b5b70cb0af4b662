/**
 * Users, API tokens, sessions and tickets (hvs.v1.IdentityService and /api/v1/identity/...):
 * admin-only management of who may call, and self-service answers about the caller itself.
 * Every change is audited; a token's secret is in the answer once and only its SHA-256 is
 * stored; a deleted user's certificates and a revoked token stop working at the next call.
 */
import { HvsError, parseLabelSelector } from '@hvs/domain';
import type { AuditService } from '../audit';
import {
  allows, inScope, isRole, writePermissionOf, matchBearer, mintBearer, parseBearer, PERMISSIONS, principalOfRecord, TICKET_PREFIX, TOKEN_PREFIX, userCertificateOf, withCertificate,
  type JsonRecords, type Permission, type Principal, type Role, type TokenRecord, type TokenType, type UserRecord,
} from '../identity';
import type { ClusterCa } from '../pki';
import type { ObjectStore } from '../store';
import { admit, principalOf } from './access';
import type { CallContext } from './call-context';
import { kindOf } from './errors';
import { METHOD_PERMISSIONS } from './method-permissions';
import { readOptional } from './writes';

const DAY_S = 86_400;
export const DEFAULT_TOKEN_TTL_S = 30 * DAY_S;
export const MAX_TOKEN_TTL_S = 365 * DAY_S;
export const DEFAULT_SESSION_TTL_S = 900;
export const MAX_SESSION_TTL_S = 3600;
export const TICKET_TTL_S = 30;
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface IdentityDeps {
  users: JsonRecords<UserRecord>;
  tokens: JsonRecords<TokenRecord>;
  ca: Pick<ClusterCa, 'signUserCsr' | 'certificatePem'>;
  audit: AuditService;
  store: ObjectStore;
  now?: () => number;
}

export interface CanIAnswer {
  allowed: boolean;
  permission: string;
  reason: string;
}

export class IdentityService {
  private readonly now: () => number;

  constructor(private readonly d: IdentityDeps) {
    this.now = d.now ?? Date.now;
  }

  async createUser(r: { name: string; role: string; scope?: string; csrPem: string; validityDays?: number; renew?: boolean }, ctx: CallContext): Promise<{ user: UserRecord; certificatePem: string; caCertificatePem: string }> {
    admit(ctx, 'IdentityService/CreateUser');
    const name = checkName(r.name, 'user');
    const role = checkRole(r.role);
    const scope = checkScope(r.scope);
    const days = r.validityDays && r.validityDays > 0 ? Math.min(r.validityDays, 3650) : 365;
    const found = await this.d.users.get(name);
    if (found && !r.renew) throw identityError('HVS-AUTH-USER-EXISTS', 'AlreadyExists', `the user "${name}" already exists`, 'a user name stands for one person or tool', `pick another name, or issue another certificate for it with \`hvctl user create ${name} --role ${found.value.role} --renew\``);
    const issued = await this.d.ca.signUserCsr(r.csrPem, name, days * DAY_S * 1000);
    const now = this.now();
    const user: UserRecord = {
      name, role, ...(scope ? { scope } : {}), createdAt: found?.value.createdAt ?? new Date(now).toISOString(), createdBy: found?.value.createdBy ?? ctx.actor,
      certificates: withCertificate(found?.value, userCertificateOf(issued.certificatePem), now),
    };
    if (!(await this.d.users.put(name, user, found ? { version: found.version } : { createOnly: true }))) throw changedMeanwhile(`user "${name}"`);
    await this.audited(r.renew ? 'renew-user' : 'create-user', 'User', name, ctx);
    return { user, certificatePem: issued.certificatePem, caCertificatePem: this.d.ca.certificatePem };
  }

  async listUsers(ctx: CallContext): Promise<UserRecord[]> {
    admit(ctx, 'IdentityService/ListUsers');
    return (await this.d.users.list()).sort((a, b) => a.name.localeCompare(b.name));
  }

  async deleteUser(name: string, ctx: CallContext): Promise<boolean> {
    admit(ctx, 'IdentityService/DeleteUser');
    const deleted = await this.d.users.remove(checkName(name, 'user'));
    if (deleted) await this.audited('delete-user', 'User', name, ctx);
    return deleted;
  }

  async createToken(r: { name: string; role: string; scope?: string; ttlSeconds?: number }, ctx: CallContext): Promise<{ token: TokenRecord; secret: string }> {
    admit(ctx, 'IdentityService/CreateToken');
    const name = checkName(r.name, 'token');
    const ttl = r.ttlSeconds && r.ttlSeconds > 0 ? r.ttlSeconds : DEFAULT_TOKEN_TTL_S;
    if (ttl > MAX_TOKEN_TTL_S) throw identityError('HVS-AUTH-TTL-INVALID', 'InvalidArgument', `a token lifetime of ${ttl} s is too long`, 'API tokens live at most a year, so a forgotten one expires', 'ask for at most 365 days (--ttl 365d) and rotate it before then');
    const out = await this.mint(TOKEN_PREFIX, 'api', { name, role: checkRole(r.role), scope: checkScope(r.scope) }, ttl, ctx);
    await this.audited('create-token', 'ApiToken', `${name}/${out.token.id}`, ctx);
    return out;
  }

  async listTokens(ctx: CallContext): Promise<TokenRecord[]> {
    admit(ctx, 'IdentityService/ListTokens');
    const now = this.now();
    return (await this.d.tokens.list()).filter((t) => t.type !== 'ticket' && Date.parse(t.expiresAt) > now).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async revokeToken(id: string, ctx: CallContext): Promise<boolean> {
    admit(ctx, 'IdentityService/RevokeToken');
    if (!/^[0-9a-f]{16}$/.test(id)) throw identityError('HVS-AUTH-TOKEN-ID-INVALID', 'InvalidArgument', 'the token id is not 16 hex digits', 'tokens are named by the id `hvctl token list` shows (never by the secret)', 'copy the ID column of `hvctl token list`');
    const revoked = await this.d.tokens.remove(id);
    if (revoked) await this.audited('revoke-token', 'ApiToken', id, ctx);
    return revoked;
  }

  whoAmI(ctx: CallContext): { principal: Principal; permissions: Permission[] } {
    admit(ctx, 'IdentityService/WhoAmI');
    const p = principalOf(ctx);
    return { principal: p, permissions: PERMISSIONS.filter((x) => allows(p, x)) };
  }

  /** "May I?": `action` is a permission or an API method; with kind and name, a scoped role is checked against the object's labels. */
  async canI(action: string, target: { kind?: string; name?: string }, ctx: CallContext): Promise<CanIAnswer> {
    admit(ctx, 'IdentityService/CanI');
    const p = principalOf(ctx);
    const req = (METHOD_PERMISSIONS as Record<string, string>)[action] ?? action;
    const permission = (req === 'kind-write' ? writePermissionOf(target.kind ? kindOf(target.kind) : 'VirtualMachine') : req) as Permission | 'self' | 'user-self' | 'join-token';
    if (permission === 'user-self') return p.kind === 'user' ? { allowed: true, permission, reason: '' } : { allowed: false, permission, reason: 'sessions and tickets are for users' };
    if (permission === 'self' || permission === 'join-token') return { allowed: true, permission, reason: '' };
    if (!(PERMISSIONS as readonly string[]).includes(permission)) {
      throw identityError('HVS-AUTH-ACTION-UNKNOWN', 'InvalidArgument', `"${action.slice(0, 80)}" is neither a permission nor an API method`, 'can-i answers about the permissions of docs/security.md#roles or methods like VmService/Start', `use one of: ${PERMISSIONS.join(', ')}`);
    }
    if (!allows(p, permission)) return { allowed: false, permission, reason: p.kind === 'user' ? `the role ${p.role} does not include ${permission}` : `a ${p.kind} identity does not hold ${permission}` };
    if (target.kind && target.name) {
      const o = await readOptional(this.d.store, kindOf(target.kind), target.name);
      if (o && !inScope(p, o.metadata.labels)) return { allowed: false, permission, reason: 'the object is outside the role\'s label scope' };
    }
    return { allowed: true, permission, reason: '' };
  }

  async createSession(ttlSeconds: number, ctx: CallContext): Promise<{ token: string; expiresAt: string }> {
    admit(ctx, 'IdentityService/CreateSession');
    const p = this.userOf(ctx, 'sessions');
    const ttl = Math.min(ttlSeconds > 0 ? ttlSeconds : DEFAULT_SESSION_TTL_S, MAX_SESSION_TTL_S);
    const { token, secret } = await this.mint(TOKEN_PREFIX, 'session', { name: p.name, role: p.role, scope: p.scope }, ttl, ctx);
    return { token: secret, expiresAt: token.expiresAt };
  }

  async createTicket(purpose: string, ctx: CallContext): Promise<{ ticket: string; expiresAt: string }> {
    admit(ctx, 'IdentityService/CreateTicket');
    const p = this.userOf(ctx, 'tickets');
    if (!/^[A-Za-z0-9._/-]{1,200}$/.test(purpose)) throw identityError('HVS-AUTH-TICKET-PURPOSE-INVALID', 'InvalidArgument', 'the ticket purpose is missing or malformed', 'a ticket opens one thing, named like console/vm/web-1', 'name what the ticket is for');
    const { token, secret } = await this.mint(TICKET_PREFIX, 'ticket', { name: p.name, role: p.role, scope: p.scope, purpose }, TICKET_TTL_S, ctx);
    return { ticket: secret, expiresAt: token.expiresAt };
  }

  /**
   * Uses a ticket up (exactly once, even when redeemed concurrently) and answers who it speaks
   * for; the caller then checks that principal's permission for what it opens.
   */
  async redeemTicket(text: string, purpose: string): Promise<Principal> {
    const parts = parseBearer(text);
    const bad = () => identityError('HVS-AUTH-TICKET-INVALID', 'Unauthenticated', 'the ticket was refused', 'it is unknown, used already, expired, or for something else', 'ask for a new ticket (they live 30 s and open one connection)');
    if (parts === undefined || parts.prefix !== TICKET_PREFIX) throw bad();
    const found = await matchBearer(this.d.tokens, parts);
    const rec = found?.value;
    if (!found || rec?.type !== 'ticket' || rec.purpose !== purpose || this.now() >= Date.parse(rec.expiresAt)) throw bad();
    if (!(await this.d.tokens.remove(parts.id, found.version))) throw bad();
    return principalOfRecord(rec, 'session');
  }

  private userOf(ctx: CallContext, what: string): Extract<Principal, { kind: 'user' }> {
    const p = principalOf(ctx);
    if (p.kind !== 'user') throw identityError('HVS-AUTH-NOT-A-USER', 'PermissionDenied', `only users get ${what}`, `the caller is a ${p.kind} identity`, 'call with a user certificate or an API token');
    return p;
  }

  private async mint(prefix: typeof TOKEN_PREFIX | typeof TICKET_PREFIX, type: TokenType, who: { name: string; role: Role; scope?: string; purpose?: string }, ttlSeconds: number, ctx: CallContext): Promise<{ token: TokenRecord; secret: string }> {
    const now = this.now();
    const minted = mintBearer(prefix);
    const token: TokenRecord = {
      id: minted.id, type, name: who.name, role: who.role, ...(who.scope ? { scope: who.scope } : {}), ...(who.purpose ? { purpose: who.purpose } : {}),
      secretSha256: minted.secretSha256, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + ttlSeconds * 1000).toISOString(), createdBy: ctx.actor,
    };
    // The lease outlives the expiry a little so an expired token says "expired", then etcd drops it.
    if (!(await this.d.tokens.put(minted.id, token, { createOnly: true, ttlSeconds: ttlSeconds + 3600 }))) throw changedMeanwhile('token id');
    return { token, secret: minted.text };
  }

  private audited(operation: string, kind: string, name: string, ctx: CallContext): Promise<void> {
    return this.d.audit.append([{ operation, kind, name: name.slice(0, 253), actor: ctx.actor, generationBefore: 0, generationAfter: 0, result: 'ok' }]);
  }
}

function checkName(name: string, what: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw identityError('HVS-AUTH-NAME-INVALID', 'InvalidArgument', `the ${what} name "${String(name).slice(0, 80)}" is invalid`, 'names are DNS labels (they appear in certificates and in the audit log as user:<name>)', 'use 1-63 lowercase letters, digits and "-", e.g. alice or ci-deploy');
  }
  return name;
}

function checkRole(role: string): Role {
  if (!isRole(role)) throw identityError('HVS-AUTH-ROLE-INVALID', 'InvalidArgument', `"${String(role).slice(0, 40)}" is not a role`, 'the roles are viewer (read), operator (VM lifecycle, consoles, snapshots, migrations) and admin (everything)', 'pass --role viewer, --role operator or --role admin');
  return role;
}

function checkScope(scope: string | undefined): string | undefined {
  if (scope === undefined || scope === '') return undefined;
  parseLabelSelector(scope);
  return scope;
}

function changedMeanwhile(what: string): HvsError {
  return identityError('HVS-AUTH-CONFLICT', 'Conflict', `the ${what} changed while this call wrote it`, 'another call created or changed it at the same time', 'run the command again');
}

function identityError(code: string, category: HvsError['category'], message: string, why: string, fix: string): HvsError {
  return new HvsError({ code, category, message, why, fix });
}
