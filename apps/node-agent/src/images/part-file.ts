import { createWriteStream, type WriteStream } from 'node:fs';
import { stat, statfs, truncate } from 'node:fs/promises';
import { once } from 'node:events';
import { hashFile, type DigestAlgorithm } from './digest';
import { StreamHasher } from './stream-hasher';
import type { ProgressMeter } from './progress';

/**
 * A download in progress: `<imagesDir>/.partial/<digest>.part`. Opening it re-hashes whatever is
 * already there (a hash state cannot be saved across a restart or a broken connection), so the
 * digest computed while streaming always covers every byte of the final file. Appends keep to
 * the stream's backpressure, so reading, hashing and writing overlap.
 */
export class PartFile {
  private out: WriteStream | undefined;

  private constructor(readonly path: string, private hash: StreamHasher, private bytes: number, private readonly algorithm: DigestAlgorithm) {}

  /** Opens (creating when missing) and re-hashes the bytes already there. */
  static async open(path: string, algorithm: DigestAlgorithm): Promise<PartFile> {
    const hash = new StreamHasher(algorithm);
    try {
      const existing = await stat(path).then((s) => s.size, () => 0);
      const n = existing > 0 ? await hashFile(path, hash, existing) : 0;
      return new PartFile(path, hash, n, algorithm);
    } catch (e) {
      hash.dispose();
      throw e;
    }
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
    this.hash.dispose();
    this.hash = new StreamHasher(this.algorithm);
    this.bytes = 0;
  }

  /** Appends one chunk; resolves when the stream can take more. ENOSPC surfaces here or at end(). */
  async write(chunk: Buffer, meter?: ProgressMeter): Promise<void> {
    // A deep buffer: the disk write of one chunk overlaps the socket read and hash of the next ones.
    this.out ??= createWriteStream(this.path, { flags: 'a', mode: 0o600, highWaterMark: 4 << 20 });
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

  /**
   * After a failed attempt: flushes what arrived (valid bytes, so the next attempt resumes after
   * them; it re-hashes the file) and stops the hash. A failing flush (disk full) just closes.
   */
  async keep(): Promise<void> {
    try {
      await this.end();
    } catch {
      this.abandon();
    }
    this.hash.dispose();
  }

  /** Closes without flushing what is buffered. */
  abandon(): void {
    this.out?.destroy();
    this.out = undefined;
    this.hash.dispose();
  }

  /** Hex digest of everything written (consumes the hash: call once, after end()). */
  digestHex(): Promise<string> {
    return this.hash.digestHex();
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
