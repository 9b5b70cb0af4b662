import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Image } from '@hvs/domain';

export type DigestAlgorithm = 'sha256' | 'sha512';

/** A parsed `sha256:<hex>` / `sha512:<hex>`: also the cache path `<algorithm>/<hex>`. */
export interface Digest {
  algorithm: DigestAlgorithm;
  hex: string;
}

const LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

/** `sha256:<hex>` or `sha512:<hex>` (hex of the right length, any case) -> Digest; undefined when malformed. */
export function parseDigest(text: string): Digest | undefined {
  const m = /^(sha256|sha512):([0-9a-fA-F]+)$/.exec(text.trim());
  if (m === null) return undefined;
  const algorithm = m[1] as DigestAlgorithm;
  return m[2].length === LENGTH[algorithm] ? { algorithm, hex: m[2].toLowerCase() } : undefined;
}

export function formatDigest(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}

/**
 * The digest every copy of `image` must have: the controller's (image_digests: the spec's, or the
 * pinned one of trust-on-first-download), else the spec's sha256, else its sha512. Undefined:
 * nothing known yet (allowUnverified before the first download is pinned).
 */
export function expectedDigest(image: Image, fromController: string | undefined): Digest | undefined {
  if (fromController) {
    const d = parseDigest(fromController);
    if (d) return d;
  }
  if (image.spec.sha256) return parseDigest(`sha256:${image.spec.sha256}`);
  if (image.spec.sha512) return parseDigest(`sha512:${image.spec.sha512}`);
  return undefined;
}

export function newHash(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

/**
 * Hashes the first `length` bytes of a file (all when undefined) into `hash`. Used to resume a
 * download (a hash state cannot be saved, so the part on disk is read again) and to re-verify.
 */
export function hashFile(path: string, hash: { update(chunk: Buffer): unknown }, length?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (length === 0) {
      resolve(0);
      return;
    }
    let n = 0;
    const s = createReadStream(path, { highWaterMark: 1 << 20, ...(length !== undefined ? { end: length - 1 } : {}) });
    s.on('data', (c) => {
      hash.update(c as Buffer);
      n += (c as Buffer).length;
    });
    s.once('error', reject);
    s.once('end', () => resolve(n));
  });
}
