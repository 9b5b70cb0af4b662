/**
 * Turns what a call presents into a verified Principal (the edges of both transports call it,
 * once per call, before any service method). Order: a bearer token when one is sent, else the
 * TLS client certificate, else anonymous. A credential that is present but not valid (a
 * certificate of another CA, an unknown, expired or revoked token, a deleted user) is refused
 * (HVS-AUTH-UNAUTHENTICATED), never treated as anonymous.
 */
import { HvsError, isHvsError } from '@hvs/domain';
import type { ClusterCa } from '../pki';
import { parseBearer, secretMatches, TOKEN_PREFIX, type BearerParts } from './bearer';
import { ANONYMOUS, type Principal } from './principal';
import type { JsonRecords, Versioned } from './json-records';
import { principalOfRecord, type TokenRecord, type UserRecord } from './records';

export interface PresentedCredentials {
  /** DER of the TLS peer certificate, when the client sent one. */
  certificate?: Buffer;
  /** The bearer token text (from `authorization: Bearer ...`); '' when the header was malformed. */
  bearer?: string;
}

/** Extra checks on a node certificate (the node still exists, the certificate is its recorded one). */
export type NodeCertificateCheck = (node: string, certificate: Buffer) => Promise<void>;

export interface AuthenticatorDeps {
  ca: Pick<ClusterCa, 'verifyClient'>;
  users: JsonRecords<UserRecord>;
  tokens: JsonRecords<TokenRecord>;
  checkNode?: NodeCertificateCheck;
  now?: () => number;
}

export class Authenticator {
  private readonly now: () => number;

  constructor(private readonly deps: AuthenticatorDeps) {
    this.now = deps.now ?? Date.now;
  }

  async authenticate(c: PresentedCredentials): Promise<Principal> {
    if (c.bearer !== undefined) return this.fromBearer(c.bearer);
    if (c.certificate !== undefined) return this.fromCertificate(c.certificate);
    return ANONYMOUS;
  }

  private async fromBearer(text: string): Promise<Principal> {
    const parts = parseBearer(text);
    if (parts === undefined || parts.prefix !== TOKEN_PREFIX) throw refused('the Authorization header is not "Bearer hvs_<id>_<secret>"');
    const rec = (await matchBearer(this.deps.tokens, parts))?.value;
    if (rec === undefined || rec.type === 'ticket') throw refused('the bearer token is unknown or was revoked');
    if (this.now() >= Date.parse(rec.expiresAt)) throw refused(`the bearer token expired at ${rec.expiresAt}`);
    return principalOfRecord(rec, rec.type === 'session' ? 'session' : 'token');
  }

  private async fromCertificate(der: Buffer): Promise<Principal> {
    let verified;
    try {
      verified = this.deps.ca.verifyClient(der);
    } catch (e) {
      throw isHvsError(e) ? refused(`the client certificate was refused: ${e.why ?? e.message}`) : e;
    }
    const id = verified.identity;
    if (id.kind === 'node') {
      await this.deps.checkNode?.(id.node, der);
      return { kind: 'node', node: id.node, fingerprint: verified.fingerprint };
    }
    if (id.kind !== 'user') throw refused('the controller\'s own certificate is not a client identity');
    const user = (await this.deps.users.get(id.user))?.value;
    if (user === undefined) throw refused(`the user "${id.user}" does not exist (deleted?), so its certificates no longer work`);
    if (!user.certificates.some((c) => c.fingerprint === verified.fingerprint)) throw refused(`this certificate is not (or no longer) on record for the user "${id.user}"`);
    return { kind: 'user', name: user.name, role: user.role, ...(user.scope ? { scope: user.scope } : {}), via: 'certificate' };
  }
}

/** The record a parsed bearer credential names, when its secret matches (constant-time); else undefined. */
export async function matchBearer(tokens: JsonRecords<TokenRecord>, parts: BearerParts): Promise<Versioned<TokenRecord> | undefined> {
  const found = await tokens.get(parts.id);
  return found !== undefined && secretMatches(parts.secret, found.value.secretSha256) ? found : undefined;
}

function refused(why: string): HvsError {
  return new HvsError({
    code: 'HVS-AUTH-CREDENTIAL-INVALID', category: 'Unauthenticated',
    message: 'the credential presented with the call was refused',
    why,
    fix: 'use a current credential: `hvctl auth whoami` shows which one the context uses; an admin issues new ones with `hvctl user create` or `hvctl token create`',
  });
}

