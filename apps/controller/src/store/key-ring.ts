/**
 * The key encryption keys (KEKs) of encryption at rest: `<dataDir>/encryption/keys.json`, 0600 in
 * a 0700 directory, created at the controller's first start (docs/architecture/secrets.md#key-file).
 *
 *   { "version": 1, "primary": "<id>",
 *     "keys": [{ "id": "<id>", "key": "<base64, 32 bytes>", "createdAt": "<ISO>" }],
 *     "retired": [{ "id": "<id>", "retiredAt": "<ISO>" }] }
 *
 * New values are sealed with the primary key; any key in `keys` opens values. Rotation adds a new
 * primary and keeps the old keys (`beginRotation`) until every value is re-sealed, and only then
 * drops their material (`retireAllBut`), leaving only their ids in `retired`: a crash at any
 * point leaves every stored value readable. Every write replaces the file atomically.
 */
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensurePrivateDir, KEY_MODE, readIfExists, tightenKeyMode, writeFileAtomic } from '@hvs/pki';
import { keyFileUnusable } from './encryption-errors';
import { isKeyId, KEY_BYTES, type Kek } from './envelope';

interface KeyFile {
  version: 1;
  primary: string;
  keys: { id: string; key: string; createdAt: string }[];
  retired: { id: string; retiredAt: string }[];
}

export const KEY_FILE = path.join('encryption', 'keys.json');

export class KeyRing {
  private constructor(readonly file: string, private state: KeyFile, private readonly now: () => Date) {}

  /** Loads the key file under `dataDir`, or creates it with one fresh key when it does not exist. */
  static loadOrCreate(dataDir: string, now: () => Date = () => new Date()): KeyRing {
    const file = path.join(dataDir, KEY_FILE);
    ensurePrivateDir(path.dirname(file));
    const text = readIfExists(file);
    if (text === undefined) {
      const ring = new KeyRing(file, { version: 1, primary: '', keys: [], retired: [] }, now);
      ring.state = ring.withNewPrimary();
      ring.save();
      return ring;
    }
    tightenKeyMode(file);
    return new KeyRing(file, parseKeyFile(file, text), now);
  }

  primary(): Kek {
    return this.get(this.state.primary)!;
  }

  get(id: string): Kek | undefined {
    const k = this.state.keys.find((x) => x.id === id);
    return k && { id: k.id, key: Buffer.from(k.key, 'base64') };
  }

  /** Ids of the keys that can open values (the primary first). */
  ids(): string[] {
    return [this.state.primary, ...this.state.keys.map((k) => k.id).filter((id) => id !== this.state.primary)];
  }

  retiredIds(): string[] {
    return this.state.retired.map((r) => r.id);
  }

  /** Step 1 of a rotation: a new primary key, the old ones kept for reading. Returns the new key. */
  beginRotation(): Kek {
    this.state = this.withNewPrimary();
    this.save();
    return this.primary();
  }

  /** Last step of a rotation, once no stored value names another key: drops the other keys' material. */
  retireAllBut(primaryId: string): string[] {
    if (primaryId !== this.state.primary) throw keyFileUnusable(this.file, `"${primaryId}" is no longer the primary key (another rotation began)`);
    const at = this.now().toISOString();
    const gone = this.state.keys.filter((k) => k.id !== primaryId);
    this.state = {
      ...this.state,
      keys: this.state.keys.filter((k) => k.id === primaryId),
      retired: [...this.state.retired, ...gone.map((k) => ({ id: k.id, retiredAt: at }))],
    };
    this.save();
    return gone.map((k) => k.id);
  }

  private withNewPrimary(): KeyFile {
    const now = this.now();
    // Sortable by creation and unique: time to the second plus random bits.
    const id = `k${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`;
    const key = { id, key: randomBytes(KEY_BYTES).toString('base64'), createdAt: now.toISOString() };
    return { ...this.state, primary: id, keys: [key, ...this.state.keys] };
  }

  private save(): void {
    writeFileAtomic(this.file, `${JSON.stringify(this.state, null, 2)}\n`, KEY_MODE);
  }
}

function parseKeyFile(file: string, text: string): KeyFile {
  let f: KeyFile;
  try {
    f = JSON.parse(text) as KeyFile;
  } catch {
    throw keyFileUnusable(file, 'it is not JSON');
  }
  if (f?.version !== 1 || !Array.isArray(f.keys) || typeof f.primary !== 'string') throw keyFileUnusable(file, 'it is not a version-1 key file');
  for (const k of f.keys) {
    if (!isKeyId(String(k?.id)) || Buffer.from(String(k?.key), 'base64').length !== KEY_BYTES) {
      throw keyFileUnusable(file, `a key entry has no valid id or is not ${KEY_BYTES} bytes of base64`);
    }
  }
  if (!f.keys.some((k) => k.id === f.primary)) throw keyFileUnusable(file, `the primary key "${f.primary.slice(0, 64)}" is not among its keys`);
  return { ...f, retired: Array.isArray(f.retired) ? f.retired : [] };
}
