/**
 * Join tokens. `create` hands out the token once (it is never stored or logged, only its
 * hash); `consume` checks it and uses one of its joins up in one compare-and-swap, so
 * concurrent joins with one token never exceed its count: a one-time token joins one host, a
 * multi-use token (`uses`, never bound to a name) joins that many and no more.
 *
 * Creation is rate-limited (a token bucket per controller) and the open (unexpired, unused)
 * tokens are capped; a multi-use token counts once. A token bound to an existing node is
 * refused at creation unless minted to replace it (checked by JoinService, which sees Nodes).
 *
 * Errors of consume, in the order they are decided (an attacker without the secret learns
 * nothing but "invalid"):
 *  malformed -> HVS-JOIN-TOKEN-MALFORMED; unknown id, wrong secret, revoked or used up ->
 *  HVS-JOIN-TOKEN-INVALID (one message for all); expired -> HVS-JOIN-TOKEN-EXPIRED (and the
 *  record is removed); bound to another node -> HVS-JOIN-TOKEN-NODE-MISMATCH; naming a node
 *  that already exists, with a token not minted to replace it -> HVS-JOIN-NODE-EXISTS (the
 *  last two keep the token).
 */
import { timingSafeEqual } from 'node:crypto';
import { isName } from '@hvs/domain';
import { formatJoinToken, parseJoinToken } from '@hvs/pki';
import {
  multiUseBound, nodeExistsAtJoin, nodeNameInvalid, replaceUnbound, tokenCapReached, tokenExpired, tokenInvalid, tokenNodeMismatch,
  tokenRateLimited, tokenTtlInvalid, tokenUsesInvalid,
} from './errors';
import { hashSecret, newTokenParts } from './token-secrets';
import { TokenBucket } from './token-bucket';
import type { JoinTokenRecord, TokenRepository } from './token-repository';

export const DEFAULT_TOKEN_TTL_MS = 3_600_000;
export const MIN_TOKEN_TTL_MS = 60_000;
export const MAX_TOKEN_TTL_MS = 30 * 86_400_000;
/** The scale work joins 1,000 hosts with one token. */
export const MAX_TOKEN_USES = 1000;

export interface JoinTokenLimits {
  /** Creations at once, then `ratePerSecond` (default 20, then one every 2 s). */
  rateBurst?: number;
  ratePerSecond?: number;
  /** Open (unexpired, unused) tokens at most (default 100). */
  maxOpen?: number;
}

export const DEFAULT_TOKEN_LIMITS: Required<JoinTokenLimits> = { rateBurst: 20, ratePerSecond: 0.5, maxOpen: 100 };

export interface JoinTokensOptions extends JoinTokenLimits {
  /** Hex SHA-256 of the CA certificate, appended to every token. */
  caFingerprint: string;
  now?: () => number;
}

export interface CreateTokenRequest {
  ttlMs?: number;
  nodeName?: string;
  /** The bound node exists and is to be replaced. */
  replace?: boolean;
  /** Hosts the token may join (default 1). */
  uses?: number;
}

export interface CreatedJoinToken {
  /** Secret: show once to the person who asked, never log. */
  token: string;
  id: string;
  expiresAt: Date;
  nodeName?: string;
  replace?: boolean;
  uses: number;
}

export interface JoinTokenSummary {
  id: string;
  createdAt: string;
  expiresAt: string;
  nodeName?: string;
  replace?: boolean;
  usesLeft: number;
  expired: boolean;
}

export interface ConsumeOptions {
  /** True when a node of that name already exists (a join would take it over). */
  nodeExists?: (name: string) => Promise<boolean>;
}

export interface ConsumedToken {
  id: string;
  nodeName: string;
  /** Minted with replace: the caller replaces the existing node's record. */
  replace: boolean;
}

export class JoinTokens {
  private readonly now: () => number;
  private readonly bucket: TokenBucket;
  private readonly maxOpen: number;

  constructor(private readonly repository: TokenRepository, private readonly options: JoinTokensOptions) {
    this.now = options.now ?? Date.now;
    const limits = { ...DEFAULT_TOKEN_LIMITS, ...definedOnly(options) };
    this.bucket = new TokenBucket(limits.rateBurst, limits.ratePerSecond, this.now);
    this.maxOpen = limits.maxOpen;
  }

  /** Checks the request (HVS-JOIN-TOKEN-* for a bad one), without the rate limit or the cap. */
  static validate(request: CreateTokenRequest): { ttlMs: number; nodeName?: string; replace: boolean; uses: number } {
    const ttlMs = request.ttlMs || DEFAULT_TOKEN_TTL_MS;
    if (!Number.isFinite(ttlMs) || ttlMs < MIN_TOKEN_TTL_MS || ttlMs > MAX_TOKEN_TTL_MS) throw tokenTtlInvalid(ttlMs, MAX_TOKEN_TTL_MS);
    const nodeName = request.nodeName || undefined;
    if (nodeName !== undefined && !isName(nodeName)) throw nodeNameInvalid(nodeName);
    const uses = request.uses || 1;
    if (!Number.isInteger(uses) || uses < 1 || uses > MAX_TOKEN_USES) throw tokenUsesInvalid(uses, MAX_TOKEN_USES);
    if (uses > 1 && nodeName !== undefined) throw multiUseBound(nodeName);
    const replace = request.replace === true;
    if (replace && nodeName === undefined) throw replaceUnbound();
    return { ttlMs, ...(nodeName ? { nodeName } : {}), replace, uses };
  }

  async create(request: CreateTokenRequest = {}): Promise<CreatedJoinToken> {
    const { ttlMs, nodeName, replace, uses } = JoinTokens.validate(request);
    const waitMs = this.bucket.take();
    if (waitMs > 0) throw tokenRateLimited(waitMs);
    const now = this.now();
    // Racing creations may pass this together and overshoot by a few: it bounds, it does not count exactly.
    const open = (await this.repository.list()).filter((r) => now < new Date(r.expiresAt).getTime()).length;
    if (open >= this.maxOpen) throw tokenCapReached(this.maxOpen);
    for (;;) {
      const { id, secret } = newTokenParts();
      const record: JoinTokenRecord = {
        id,
        secretSha256: hashSecret(secret).toString('hex'),
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttlMs).toISOString(),
        ...(nodeName ? { nodeName } : {}),
        ...(replace ? { replace: true } : {}),
        ...(uses > 1 ? { usesLeft: uses } : {}),
      };
      // A 64-bit id colliding is astronomically rare; create-only makes it harmless anyway.
      if (await this.repository.create(record)) {
        const token = formatJoinToken({ id, secret, caFingerprint: this.options.caFingerprint });
        return { token, id, expiresAt: new Date(record.expiresAt), ...(nodeName ? { nodeName } : {}), ...(replace ? { replace } : {}), uses };
      }
    }
  }

  /**
   * Uses one join of the token for `nodeName` (empty: the name the token is bound to).
   * Resolves with the node name to certify; the caller signs the CSR for exactly that name.
   * Concurrent joins with one multi-use token re-read and retry: each compare-and-swap that
   * fails means another join took one, so the loop ends when the count or the token is gone.
   */
  async consume(token: string, nodeName: string, options: ConsumeOptions = {}): Promise<ConsumedToken> {
    const parsed = parseJoinToken(token);
    let checkedName = false;
    for (;;) {
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
      if (!checkedName) {
        if (!isName(name)) throw nodeNameInvalid(name);
        if (record.nodeName !== undefined && record.nodeName !== name) throw tokenNodeMismatch(record.id, record.nodeName, name);
        if (record.replace !== true && options.nodeExists && (await options.nodeExists(name))) throw nodeExistsAtJoin(name);
        checkedName = true;
      }
      const usesLeft = record.usesLeft ?? 1;
      const used = usesLeft > 1 ? await this.repository.update({ ...record, usesLeft: usesLeft - 1 }, version) : await this.repository.take(record.id, version);
      if (used) return { id: record.id, nodeName: name, replace: record.replace === true };
      if (usesLeft <= 1) throw tokenInvalid();
    }
  }

  /** Every stored token without its secret hash, oldest expiry first. */
  async list(): Promise<JoinTokenSummary[]> {
    const now = this.now();
    return (await this.repository.list())
      .map((r) => ({
        id: r.id, createdAt: r.createdAt, expiresAt: r.expiresAt, ...(r.nodeName ? { nodeName: r.nodeName } : {}), ...(r.replace ? { replace: true } : {}),
        usesLeft: r.usesLeft ?? 1, expired: now >= new Date(r.expiresAt).getTime(),
      }))
      .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.id.localeCompare(b.id));
  }

  /** Idempotent: true when a token was removed, false when there was none with that id. */
  async revoke(id: string): Promise<boolean> {
    if (!/^[0-9a-f]{16}$/.test(id)) return false;
    return this.repository.remove(id);
  }
}

function definedOnly(o: JoinTokenLimits): JoinTokenLimits {
  return Object.fromEntries(Object.entries({ rateBurst: o.rateBurst, ratePerSecond: o.ratePerSecond, maxOpen: o.maxOpen }).filter(([, v]) => v !== undefined));
}
