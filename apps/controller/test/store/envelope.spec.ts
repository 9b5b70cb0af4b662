import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHvsError } from '@hvs/domain';
import { EnvelopeTransformer, envelopeKeyId, isEnvelope, KeyRing, open, plainToStorage, seal, type Kek } from '../../src/store';

const kek = (id = 'k1'): Kek => ({ id, key: randomBytes(32) });
const ring = (...keys: Kek[]) => ({ get: (id: string) => keys.find((k) => k.id === id), ids: () => keys.map((k) => k.id) });
const WHERE = '/hvs/v1/secret/db';
const PLAIN = Buffer.from('{"spec":{"data":{"password":"hunter2"}}}');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isHvsError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return undefined;
}

describe('envelope (AES-256-GCM data key wrapped by a KEK)', () => {
  it('round-trips, names its key, and holds no plaintext', () => {
    const k = kek();
    const sealed = seal(PLAIN, k, WHERE);
    expect(isEnvelope(sealed)).toBe(true);
    expect(envelopeKeyId(sealed, WHERE)).toBe('k1');
    expect(sealed.includes(Buffer.from('hunter2'))).toBe(false);
    expect(open(sealed, ring(k).get, ring(k).ids, WHERE)).toEqual(PLAIN);
  });

  it('uses a fresh data key and IV per seal (same input, different bytes)', () => {
    const k = kek();
    expect(seal(PLAIN, k, WHERE).equals(seal(PLAIN, k, WHERE))).toBe(false);
  });

  it('a flipped bit in the ciphertext is HVS-ENCRYPTION-TAMPERED', () => {
    const k = kek();
    const sealed = seal(PLAIN, k, WHERE);
    sealed[sealed.length - 1]! ^= 1;
    expect(codeOf(() => open(sealed, ring(k).get, ring(k).ids, WHERE))).toBe('HVS-ENCRYPTION-TAMPERED');
  });

  it('a value moved to another etcd key does not open (the key is authenticated)', () => {
    const k = kek();
    const sealed = seal(PLAIN, k, WHERE);
    expect(codeOf(() => open(sealed, ring(k).get, ring(k).ids, '/hvs/v1/secret/other'))).toBe('HVS-ENCRYPTION-KEY-MISMATCH');
  });

  it('another key under the same id is HVS-ENCRYPTION-KEY-MISMATCH; an unknown id is HVS-ENCRYPTION-KEY-UNKNOWN', () => {
    const sealed = seal(PLAIN, kek('k1'), WHERE);
    const other = kek('k1');
    expect(codeOf(() => open(sealed, ring(other).get, ring(other).ids, WHERE))).toBe('HVS-ENCRYPTION-KEY-MISMATCH');
    const k2 = kek('k2');
    expect(codeOf(() => open(sealed, ring(k2).get, ring(k2).ids, WHERE))).toBe('HVS-ENCRYPTION-KEY-UNKNOWN');
  });

  it('a truncated envelope or plain bytes are HVS-ENCRYPTION-MALFORMED', () => {
    const k = kek();
    const sealed = seal(PLAIN, k, WHERE);
    expect(codeOf(() => open(sealed.subarray(0, 20), ring(k).get, ring(k).ids, WHERE))).toBe('HVS-ENCRYPTION-MALFORMED');
    expect(codeOf(() => open(PLAIN, ring(k).get, ring(k).ids, WHERE))).toBe('HVS-ENCRYPTION-MALFORMED');
  });

  it('a store without a key ring refuses to write a Secret in plain text', () => {
    expect(codeOf(() => plainToStorage(WHERE, '{}'))).toBe('HVS-ENCRYPTION-REQUIRED');
    expect(plainToStorage('/hvs/v1/network/lab', '{}').toString()).toBe('{}');
  });
});

describe('KeyRing (the key file)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'hvs-keyring-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is created at first load as 0600 in a 0700 dir and reloads to the same key', () => {
    const a = KeyRing.loadOrCreate(dir);
    expect(statSync(a.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'encryption')).mode & 0o777).toBe(0o700);
    const b = KeyRing.loadOrCreate(dir);
    expect(b.primary().id).toBe(a.primary().id);
    expect(b.primary().key.equals(a.primary().key)).toBe(true);
  });

  it('rotation keeps the old key until retireAllBut, which leaves only its id', () => {
    const r = KeyRing.loadOrCreate(dir);
    const old = r.primary().id;
    const next = r.beginRotation();
    expect(KeyRing.loadOrCreate(dir).ids()).toEqual([next.id, old]);
    expect(r.retireAllBut(next.id)).toEqual([old]);
    const reloaded = KeyRing.loadOrCreate(dir);
    expect(reloaded.ids()).toEqual([next.id]);
    expect(reloaded.retiredIds()).toEqual([old]);
    expect(reloaded.get(old)).toBeUndefined();
  });

  it('a damaged key file is HVS-ENCRYPTION-KEYFILE-UNUSABLE, and the error never shows key bytes', () => {
    const r = KeyRing.loadOrCreate(dir);
    const text = readFileSync(r.file, 'utf8');
    writeFileSync(r.file, text.replace(/"primary": "[^"]+"/, '"primary": "nope"'));
    try {
      KeyRing.loadOrCreate(dir);
      throw new Error('loaded');
    } catch (e) {
      expect(isHvsError(e) && e.code).toBe('HVS-ENCRYPTION-KEYFILE-UNUSABLE');
      expect(JSON.stringify(e)).not.toContain(r.primary().key.toString('base64'));
    }
  });

  it('the transformer seals covered kinds only and reads plain values written before encryption', () => {
    const t = new EnvelopeTransformer(KeyRing.loadOrCreate(dir), ['Secret']);
    expect(isEnvelope(t.toStorage(WHERE, '{"a":1}'))).toBe(true);
    expect(t.toStorage('/hvs/v1/virtualmachine/web', '{"a":1}').toString()).toBe('{"a":1}');
    expect(t.fromStorage(WHERE, Buffer.from('{"a":1}'))).toBe('{"a":1}');
    expect(t.fromStorage(WHERE, t.toStorage(WHERE, '{"a":2}'))).toBe('{"a":2}');
  });
});
