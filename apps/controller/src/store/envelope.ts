/**
 * The envelope of a value encrypted at rest (docs/architecture/secrets.md#envelope), pure:
 *
 *   "hvsenc1\n" | u8 idLen | keyId (ASCII) | wrapIv(12) | wrappedDek(32) | wrapTag(16)
 *               | dataIv(12) | dataTag(16) | ciphertext
 *
 * A fresh 256-bit data key (DEK) per write encrypts the value with AES-256-GCM; the key
 * encryption key (KEK) named by keyId wraps the DEK with AES-256-GCM. Both use the etcd key as
 * additional authenticated data, so a value copied to another key fails to open; the wrap
 * also authenticates the key id. The magic lets a reader tell an envelope from a plain JSON
 * value (`{`), written before encryption was enabled.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { keyMismatch, keyUnknown, malformed, tampered } from './encryption-errors';

export const ENVELOPE_MAGIC = Buffer.from('hvsenc1\n', 'ascii');
export const KEY_BYTES = 32;
const IV = 12;
const TAG = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface Kek {
  id: string;
  key: Buffer;
}

export function isEnvelope(stored: Buffer): boolean {
  return stored.length >= ENVELOPE_MAGIC.length && stored.subarray(0, ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC);
}

export function isKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

function gcmSeal(key: Buffer, plain: Buffer, aad: Buffer): { iv: Buffer; ct: Buffer; tag: Buffer } {
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return { iv, ct, tag: c.getAuthTag() };
}

/** Undefined when authentication fails. */
function gcmOpen(key: Buffer, iv: Buffer, ct: Buffer, tag: Buffer, aad: Buffer): Buffer | undefined {
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(ct), d.final()]);
  } catch {
    return undefined;
  }
}

/** Encrypts `plain` for the etcd key `where` under `kek`, with a fresh data key. */
export function seal(plain: Buffer, kek: Kek, where: string): Buffer {
  const dek = randomBytes(KEY_BYTES);
  const id = Buffer.from(kek.id, 'ascii');
  const aad = Buffer.from(where, 'utf8');
  const wrap = gcmSeal(kek.key, dek, Buffer.concat([id, Buffer.from('\n'), aad]));
  const data = gcmSeal(dek, plain, aad);
  dek.fill(0);
  return Buffer.concat([ENVELOPE_MAGIC, Buffer.from([id.length]), id, wrap.iv, wrap.ct, wrap.tag, data.iv, data.tag, data.ct]);
}

/** The key id an envelope names (to find stale values during rotation without decrypting). */
export function envelopeKeyId(stored: Buffer, where: string): string {
  return parse(stored, where).keyId;
}

/**
 * Decrypts an envelope with the KEK it names. Throws HVS-ENCRYPTION-KEY-UNKNOWN (no such key),
 * -KEY-MISMATCH (that key does not unwrap the data key), -TAMPERED (the value fails
 * authentication), -MALFORMED (not an envelope at all).
 */
export function open(stored: Buffer, keys: (id: string) => Kek | undefined, knownIds: () => string[], where: string): Buffer {
  const p = parse(stored, where);
  const kek = keys(p.keyId);
  if (!kek) throw keyUnknown(where, p.keyId, knownIds());
  const aad = Buffer.from(where, 'utf8');
  const dek = gcmOpen(kek.key, p.wrapIv, p.wrapped, p.wrapTag, Buffer.concat([Buffer.from(p.keyId, 'ascii'), Buffer.from('\n'), aad]));
  if (!dek) throw keyMismatch(where, p.keyId);
  const plain = gcmOpen(dek, p.dataIv, p.ct, p.dataTag, aad);
  dek.fill(0);
  if (!plain) throw tampered(where);
  return plain;
}

function parse(stored: Buffer, where: string) {
  if (!isEnvelope(stored)) throw malformed(where, 'it does not start with the envelope marker');
  let at = ENVELOPE_MAGIC.length;
  const idLen = stored[at++] ?? 0;
  const fixed = IV + KEY_BYTES + TAG + IV + TAG;
  if (idLen === 0 || stored.length < at + idLen + fixed) throw malformed(where, 'it is shorter than an envelope header');
  const keyId = stored.subarray(at, (at += idLen)).toString('ascii');
  if (!isKeyId(keyId)) throw malformed(where, 'its key id is not a valid key id');
  const take = (n: number) => stored.subarray(at, (at += n));
  return { keyId, wrapIv: take(IV), wrapped: take(KEY_BYTES), wrapTag: take(TAG), dataIv: take(IV), dataTag: take(TAG), ct: stored.subarray(at) };
}
