/**
 * The join token as a person copies it: `hvs1.<id>.<secret>.<ca-sha256>`.
 *  - id: 16 hex chars (64 random bits), public, names the token in lists and logs;
 *  - secret: 43 base64url chars (256 random bits);
 *  - ca-sha256: 64 hex chars, the SHA-256 of the CA certificate's DER, so the agent can pin the
 *    controller before it sends the secret anywhere (kubeadm's discovery-token-ca-cert-hash).
 * The last part may be left off when the CA hash is given separately (`--ca-hash`).
 * The controller prints and consumes tokens, the agent takes the CA hash out of them: one
 * parser, so the two can never disagree about what a token is.
 */
import { tokenMalformed } from './errors';

export const TOKEN_VERSION = 'hvs1';
const TOKEN_RE = /^hvs1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})(?:\.([0-9a-f]{64}))?$/;

export interface ParsedJoinToken {
  id: string;
  secret: string;
  caFingerprint?: string;
}

export function formatJoinToken(t: ParsedJoinToken): string {
  return [TOKEN_VERSION, t.id, t.secret, ...(t.caFingerprint ? [t.caFingerprint] : [])].join('.');
}

/** Leading/trailing white space is ignored; HVS-JOIN-TOKEN-MALFORMED (never repeating the input) for anything else. */
export function parseJoinToken(token: string): ParsedJoinToken {
  const m = typeof token === 'string' ? TOKEN_RE.exec(token.trim()) : null;
  if (m === null) throw tokenMalformed();
  return m[3] ? { id: m[1]!, secret: m[2]!, caFingerprint: m[3] } : { id: m[1]!, secret: m[2]! };
}
