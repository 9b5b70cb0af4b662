/**
 * Bearer credentials as text: `hvs_<id>_<secret>` (API tokens and sessions) and
 * `hvt_<id>_<secret>` (tickets). The id (64 random bits, hex) names the record; the secret
 * (256 random bits, base64url) is compared by its SHA-256 in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ID_HEX = 16;
export const TOKEN_PREFIX = 'hvs_';
export const TICKET_PREFIX = 'hvt_';

export interface BearerParts {
  prefix: typeof TOKEN_PREFIX | typeof TICKET_PREFIX;
  id: string;
  secret: string;
}

export function mintBearer(prefix: BearerParts['prefix']): { text: string; id: string; secretSha256: string } {
  const id = randomBytes(ID_HEX / 2).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { text: `${prefix}${id}_${secret}`, id, secretSha256: sha256(secret) };
}

/** undefined when the text is not shaped like one of ours (never echo it: it may be a secret). */
export function parseBearer(text: string): BearerParts | undefined {
  const prefix = text.startsWith(TOKEN_PREFIX) ? TOKEN_PREFIX : text.startsWith(TICKET_PREFIX) ? TICKET_PREFIX : undefined;
  if (prefix === undefined || text.length > 128) return undefined;
  const rest = text.slice(prefix.length);
  const id = rest.slice(0, ID_HEX);
  const secret = rest.slice(ID_HEX + 1);
  if (!/^[0-9a-f]+$/.test(id) || id.length !== ID_HEX || rest[ID_HEX] !== '_' || !/^[A-Za-z0-9_-]{20,}$/.test(secret)) return undefined;
  return { prefix, id, secret };
}

export function sha256(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function secretMatches(secret: string, storedSha256: string): boolean {
  const a = Buffer.from(sha256(secret), 'hex');
  const b = Buffer.from(storedSha256, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Authorization: Bearer <token>` -> the token; undefined when absent; throws when malformed. */
export function bearerOf(header: unknown): string | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return '';
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(v);
  return m ? m[1]! : '';
}
