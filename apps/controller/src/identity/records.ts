/**
 * The identity records in etcd: users (who may hold a client certificate, with which role) and
 * bearer credentials (API tokens, sessions, single-use tickets). Only a SHA-256 of a bearer
 * secret is stored; a user's certificates are listed by fingerprint, so deleting the user (or
 * dropping a fingerprint) revokes them at once.
 */
import { X509Certificate } from 'node:crypto';
import { fingerprintOf } from '@hvs/pki';
import type { CredentialKind, Principal } from './principal';
import type { Role } from './roles';

export const USERS_PREFIX = '/hvs/v1/identity/users/';
export const TOKENS_PREFIX = '/hvs/v1/identity/tokens/';

export interface UserCertificate {
  fingerprint: string;
  expiresAt: string;
}

export interface UserRecord {
  name: string;
  role: Role;
  /** A label selector the role is limited to. */
  scope?: string;
  createdAt: string;
  createdBy: string;
  certificates: UserCertificate[];
}

/** api: automation (long-lived); session: exchanged from another credential (minutes); ticket: single use, for WebSockets. */
export type TokenType = 'api' | 'session' | 'ticket';

export interface TokenRecord {
  id: string;
  type: TokenType;
  /** The principal's name (an API token's own name; a session's or ticket's creator). */
  name: string;
  role: Role;
  scope?: string;
  secretSha256: string;
  createdAt: string;
  expiresAt: string;
  createdBy: string;
  /** Tickets: what it opens. */
  purpose?: string;
}

/** How a user's record lists one of its certificates. */
export function userCertificateOf(certPem: string): UserCertificate {
  const cert = new X509Certificate(certPem);
  return { fingerprint: fingerprintOf(cert), expiresAt: new Date(cert.validTo).toISOString() };
}

/** A user's certificates with `added` on record and the expired ones dropped. */
export function withCertificate(user: UserRecord | undefined, added: UserCertificate, now: number): UserCertificate[] {
  return [...(user?.certificates ?? []).filter((c) => Date.parse(c.expiresAt) > now), added];
}

/** The user a bearer record (token, session or ticket) speaks for. */
export function principalOfRecord(rec: TokenRecord, via: CredentialKind): Principal {
  return { kind: 'user', name: rec.name, role: rec.role, ...(rec.scope ? { scope: rec.scope } : {}), via };
}
