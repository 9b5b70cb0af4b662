/**
 * The controller's content-addressed image files: `<dataDir>/images/sha256/<hex>`, written through
 * `<dataDir>/images/.upload-<random>` and renamed once complete and verified, so a reader never
 * sees a partial file under a digest name and the same bytes are stored once.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const HEX64 = /^[0-9a-f]{64}$/;

export class ImageFiles {
  readonly dir: string;
  private prepared: Promise<void> | undefined;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'images');
  }

  /**
   * Creates the directories and removes uploads a crash left half-written: once per process,
   * before its first upload (later, a `.upload-*` file is a concurrent upload's, not debris).
   */
  prepare(): Promise<void> {
    this.prepared ??= (async () => {
      await fs.promises.mkdir(path.join(this.dir, 'sha256'), { recursive: true, mode: 0o700 });
      for (const f of await fs.promises.readdir(this.dir)) if (f.startsWith('.upload-')) await fs.promises.rm(path.join(this.dir, f), { force: true });
    })().catch((e: unknown) => {
      this.prepared = undefined;
      throw e;
    });
    return this.prepared;
  }

  tempPath(): string {
    return path.join(this.dir, `.upload-${randomBytes(8).toString('hex')}`);
  }

  pathOf(hex: string): string {
    if (!HEX64.test(hex)) throw new Error(`not a sha256 hex digest: ${hex.slice(0, 80)}`);
    return path.join(this.dir, 'sha256', hex);
  }

  /** The size of the stored file of `hex`, or undefined when this controller does not hold it. */
  async sizeOf(hex: string): Promise<number | undefined> {
    try {
      return (await fs.promises.stat(this.pathOf(hex))).size;
    } catch {
      return undefined;
    }
  }

  /** Bytes free for an unprivileged writer on the images file system. */
  async freeBytes(): Promise<number> {
    const s = await fs.promises.statfs(this.dir);
    return s.bavail * s.bsize;
  }

  /** Moves a complete temp file to its digest name; false when those bytes were already stored (the temp file is removed). */
  async commit(temp: string, hex: string): Promise<boolean> {
    const target = this.pathOf(hex);
    if ((await this.sizeOf(hex)) !== undefined) {
      await fs.promises.rm(temp, { force: true });
      return false;
    }
    await fs.promises.chmod(temp, 0o600);
    await fs.promises.rename(temp, target);
    return true;
  }
}
