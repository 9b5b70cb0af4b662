/**
 * Key and certificate files. A private key is created with mode 0600 from its first byte (the
 * temp file is opened with that mode, never chmod-ed after the secret is in it), written in
 * full, fsynced and renamed into place, so a crash leaves either the old file or the new one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;
export const DIR_MODE = 0o700;

/** Creates `dir` (and parents) and forces it to 0700: only the service user may list its keys. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  fs.chmodSync(dir, DIR_MODE);
}

export function writeFileAtomic(file: string, data: string, mode: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.chmodSync(tmp, mode); // the umask may have narrowed a 0644 certificate; never widens a key
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Tightens a key file another tool left group/world-readable; returns whether it had to. */
export function tightenKeyMode(file: string): boolean {
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return false;
  fs.chmodSync(file, KEY_MODE);
  return true;
}
