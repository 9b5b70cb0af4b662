import type { Stats } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic-file';

/** What was true of a cached file when it was last fully verified. */
export interface VerifiedFile {
  size: number;
  mtimeMs: number;
  ino: number;
  /** Unix ms of the last full hash. */
  verifiedAt: number;
}

/** The result of the cheap check: `ok`, or why the file cannot be used as verified. */
export type CheapCheck = 'ok' | 'missing' | 'changed' | 'unverified';

interface IndexFile {
  version: 1;
  /** `sha256:<hex>` -> the file's identity at verification. */
  files: Record<string, VerifiedFile>;
  /** Trust on first download: `<image name> <url>` -> the pinned `sha256:<hex>`. */
  pins: Record<string, string>;
}

export const INDEX_FILE = 'index.json';

/**
 * The cache's small JSON index (`<imagesDir>/index.json`, written atomically): for each verified
 * file its size, mtime and inode, so the check before every use is one lstat instead of a
 * re-hash. Any write, truncate or replacement of the file changes one of them. An index that
 * cannot be read is started empty: every cached file is then re-hashed before use (nothing is
 * trusted without a hash).
 */
export class CacheIndex {
  private data: IndexFile = { version: 1, files: {}, pins: {} };
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {}

  async load(): Promise<void> {
    try {
      const raw = JSON.parse(await readFile(join(this.dir, INDEX_FILE), 'utf8')) as IndexFile;
      if (raw?.version === 1 && typeof raw.files === 'object' && raw.files !== null) this.data = { version: 1, files: raw.files, pins: raw.pins ?? {} };
    } catch {
      this.data = { version: 1, files: {}, pins: {} };
    }
  }

  digests(): string[] {
    return Object.keys(this.data.files);
  }

  get(digest: string): VerifiedFile | undefined {
    return Object.hasOwn(this.data.files, digest) ? this.data.files[digest] : undefined;
  }

  /** Records `st` (the file just hashed) as verified at `at`. */
  record(digest: string, st: Stats, at: number): Promise<void> {
    this.data.files[digest] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, verifiedAt: at };
    return this.save();
  }

  forget(digest: string): Promise<void> {
    delete this.data.files[digest];
    return this.save();
  }

  pin(key: string): string | undefined {
    return Object.hasOwn(this.data.pins, key) ? this.data.pins[key] : undefined;
  }

  setPin(key: string, digest: string): Promise<void> {
    this.data.pins[key] = digest;
    return this.save();
  }

  /** The check before every use: one lstat compared with what was recorded at verification. */
  async cheapCheck(digest: string, path: string): Promise<CheapCheck> {
    const known = this.get(digest);
    const st = await lstat(path).catch(() => undefined);
    if (st === undefined || !st.isFile()) return 'missing';
    if (known === undefined) return 'unverified';
    return st.size === known.size && st.mtimeMs === known.mtimeMs && st.ino === known.ino ? 'ok' : 'changed';
  }

  /** Writes are serialised, each the whole index. */
  private save(): Promise<void> {
    const text = JSON.stringify(this.data);
    this.chain = this.chain.then(() => writeFileAtomic(join(this.dir, INDEX_FILE), text, 0o600), () => writeFileAtomic(join(this.dir, INDEX_FILE), text, 0o600));
    return this.chain;
  }
}
