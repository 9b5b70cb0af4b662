/**
 * One-time join tokens. `create` hands out the token once (it is never stored or logged, only
 * its hash); `consume` checks it and uses it up in one compare-and-delete, so concurrent joins
 * with one token cannot both succeed.
 *
 * Errors, in the order they are decided (an attacker without the secret learns nothing but
 * "invalid"):
 *  malformed -> HVS-JOIN-TOKEN-MALFORMED; unknown id, wrong secret, revoked or already used ->
 *  HVS-JOIN-TOKEN-INVALID (one message for all); expired -> HVS-JOIN-TOKEN-EXPIRED (and the
 *  record is removed); bound to another node -> HVS-JOIN-TOKEN-NODE-MISMATCH; an unbound token
 *  naming a node that already exists -> HVS-JOIN-NODE-EXISTS (the last two keep the token).
 */
import { timingSafeEqual } from 'node:crypto';
import { HvsError, isName } from '@hvs/domain';
import { formatJoinToken, parseJoinToken } from '@hvs/pki';
import { nodeNameInvalid, tokenExpired, tokenInvalid, tokenNodeMismatch, tokenTtlInvalid } from './errors';
import { hashSecret, newTokenParts } from './token-secrets';
import type { JoinTokenRecord, TokenRepository } from './token-repository';

export const DEFAULT_TOKEN_TTL_MS = 3_600_000;
export const MIN_TOKEN_TTL_MS = 60_000;
export const MAX_TOKEN_TTL_MS = 30 * 86_400_000;

export interface JoinTokensOptions {
  /** Hex SHA-256 of the CA certificate, appended to every token. */
  caFingerprint: string;
  now?: () => number;
}

export interface CreatedJoinToken {
  /** Secret: show once to the person who asked, never log. */
  token: string;
  id: string;
  expiresAt: Date;
  nodeName?: string;
}

export interface JoinTokenSummary {
  id: string;
  createdAt: string;
  expiresAt: string;
  nodeName?: string;
  expired: boolean;
}

export interface ConsumeOptions {
  /** For unbound tokens: true when a node of that name already exists (it would be impersonated). */
  nodeExists?: (name: string) => Promise<boolean>;
}

export class JoinTokens {
  private readonly now: () => number;

  constructor(private readonly repository: TokenRepository, private readonly options: JoinTokensOptions) {
    this.now = options.now ?? Date.now;
  }

  async create(request: { ttlMs?: number; nodeName?: string } = {}): Promise<CreatedJoinToken> {
    const ttlMs = request.ttlMs || DEFAULT_TOKEN_TTL_MS;
    if (!Number.isFinite(ttlMs) || ttlMs < MIN_TOKEN_TTL_MS || ttlMs > MAX_TOKEN_TTL_MS) throw tokenTtlInvalid(ttlMs, MAX_TOKEN_TTL_MS);
    const nodeName = request.nodeName || undefined;
    if (nodeName !== undefined && !isName(nodeName)) throw nodeNameInvalid(nodeName);
    const now = this.now();
    for (;;) {
      const { id, secret } = newTokenParts();
      const record: JoinTokenRecord = {
        id,
        secretSha256: hashSecret(secret).toString('hex'),
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttlMs).toISOString(),
        ...(nodeName ? { nodeName } : {}),
      };
      // A 64-bit id colliding is astronomically rare; create-only makes it harmless anyway.
      if (await this.repository.create(record)) {
        const token = formatJoinToken({ id, secret, caFingerprint: this.options.caFingerprint });
        return { token, id, expiresAt: new Date(record.expiresAt), ...(nodeName ? { nodeName } : {}) };
      }
    }
  }

  /**
   * Uses the token up for joining `nodeName` (empty: the name the token is bound to). Resolves
   * with the node name to certify; the caller signs the CSR for exactly that name.
   */
  async consume(token: string, nodeName: string, options: ConsumeOptions = {}): Promise<{ id: string; nodeName: string }> {
    const parsed = parseJoinToken(token);
    const stored = await this.repository.get(parsed.id);
    if (stored === undefined) throw tokenInvalid();
    const { record, version } = stored;
    const expectedHash = Buffer.from(record.secretSha256, 'hex');
    const actualHash = hashSecret(parsed.secret);
    if (expectedHash.length !== actualHash.length || !timingSafeEqual(expectedHash, actualHash)) throw tokenInvalid();
    const expiresAt = new Date(record.expiresAt);
    if (this.now() >= expiresAt.getTime()) {
      await this.repository.take(record.id, version);
      throw tokenExpired(record.id, expiresAt);
    }
    const name = nodeName || record.nodeName || '';
    if (!isName(name)) throw nodeNameInvalid(name);
    if (record.nodeName !== undefined && record.nodeName !== name) throw tokenNodeMismatch(record.id, record.nodeName, name);
    if (record.nodeName === undefined && options.nodeExists && (await options.nodeExists(name))) throw nodeExists(name);
    if (!(await this.repository.take(record.id, version))) throw tokenInvalid();
    return { id: record.id, nodeName: name };
  }

  /** Every stored token without its secret hash, oldest expiry first. */
  async list(): Promise<JoinTokenSummary[]> {
    const now = this.now();
    return (await this.repository.list())
      .map((r) => ({ id: r.id, createdAt: r.createdAt, expiresAt: r.expiresAt, ...(r.nodeName ? { nodeName: r.nodeName } : {}), expired: now >= new Date(r.expiresAt).getTime() }))
      .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.id.localeCompare(b.id));
  }

  /** Idempotent: true when a token was removed, false when there was none with that id. */
  async revoke(id: string): Promise<boolean> {
    if (!/^[0-9a-f]{16}$/.test(id)) return false;
    return this.repository.remove(id);
  }
}

function nodeExists(name: string): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-NODE-EXISTS', category: 'AlreadyExists',
    message: `a node named "${name}" already exists`,
    why: 'a token not bound to a name may only join a new name; otherwise it could take over another host\'s identity',
    fix: `pick another --node-name, or to re-join this host ask for a token bound to it: \`hvctl node token create --node ${name}\``,
  });
}
