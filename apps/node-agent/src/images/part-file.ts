import type { Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat, statfs, truncate } from 'node:fs/promises';
import { once } from 'node:events';
import { hashFile, newHash, type DigestAlgorithm } from './digest';
import type { ProgressMeter } from './progress';

/**
 * A download in progress: `<imagesDir>/.partial/<digest>.part`. Opening it re-hashes whatever is
 * already there (a hash state cannot be saved across a restart or a broken connection), so the
 * digest computed while streaming always covers every byte of the final file. Appends keep to
 * the stream's backpressure, so reading, hashing and writing overlap.
 */
export class PartFile {
  private out: WriteStream | undefined;

  private constructor(readonly path: string, private hash: Hash, private bytes: number, private readonly algorithm: DigestAlgorithm) {}

  /** Opens (creating when missing) and re-hashes the bytes already there. */
  static async open(path: string, algorithm: DigestAlgorithm): Promise<PartFile> {
    const hash = newHash(algorithm);
    const existing = await stat(path).then((s) => s.size, () => 0);
    const n = existing > 0 ? await hashFile(path, hash, existing) : 0;
    return new PartFile(path, hash, n, algorithm);
  }

  /** Bytes on disk and hashed: where a resumed download continues (`Range: bytes=<size>-`). */
  get size(): number {
    return this.bytes;
  }

  /** Drops what is there (the server ignored the Range, or the part is longer than the file). */
  async restart(): Promise<void> {
    await this.end();
    await truncate(this.path, 0).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    this.hash = newHash(this.algorithm);
    this.bytes = 0;
  }

  /** Appends one chunk; resolves when the stream can take more. ENOSPC surfaces here or at end(). */
  async write(chunk: Buffer, meter?: ProgressMeter): Promise<void> {
    this.out ??= createWriteStream(this.path, { flags: 'a', mode: 0o600 });
    this.hash.update(chunk);
    this.bytes += chunk.length;
    meter?.add(chunk.length);
    if (!this.out.write(chunk)) await drained(this.out);
  }

  /** Flushes and closes the file (idempotent). */
  async end(): Promise<void> {
    const out = this.out;
    this.out = undefined;
    if (out === undefined) return;
    if (out.errored) {
      out.destroy();
      throw out.errored;
    }
    out.end();
    await Promise.race([once(out, 'close'), once(out, 'error').then(([e]) => Promise.reject(e as Error))]);
  }

  /** Closes without flushing what is buffered (a failed attempt; the next one re-hashes the file). */
  abandon(): void {
    this.out?.destroy();
    this.out = undefined;
  }

  /** Hex digest of everything written (consumes the hash: call once, after end()). */
  digestHex(): string {
    return this.hash.digest('hex');
  }
}

/** Resolves on 'drain', rejects on 'error'; leaves no listener behind either way. */
function drained(out: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      out.off('drain', done);
      out.off('error', done);
      if (e) reject(e);
      else resolve();
    };
    out.on('drain', done);
    out.on('error', done);
  });
}

/** Free bytes for an unprivileged writer in `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}
