/**
 * The controller's half of the join token (its format is in @hvs/pki, shared with the agent):
 * minting the random parts and hashing the secret for storage.
 *  - id: 64 random bits, public;
 *  - secret: 256 random bits from crypto.randomBytes(32), base64url; only its SHA-256 is kept.
 */
import { createHash, randomBytes } from 'node:crypto';

export function newTokenParts(): { id: string; secret: string } {
  return { id: randomBytes(8).toString('hex'), secret: randomBytes(32).toString('base64url') };
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
