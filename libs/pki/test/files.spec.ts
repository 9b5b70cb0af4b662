import * as fs from 'node:fs';
import * as path from 'node:path';
import { CERT_MODE, DIR_MODE, KEY_MODE, ensurePrivateDir, readIfExists, tightenKeyMode, writeFileAtomic } from '../src';
import { modeOf, tempDirs } from './support';

const tempDir = tempDirs();

/** Runs `fn` under a umask, restoring the old one even when it throws. */
function withUmask<T>(mask: number, fn: () => T): T {
  const old = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(old);
  }
}

describe('ensurePrivateDir', () => {
  it('creates missing parents and forces the directory to 0700, also when it existed wider', () => {
    const dir = path.join(tempDir(), 'a', 'pki');
    ensurePrivateDir(dir);
    expect(modeOf(dir)).toBe(DIR_MODE);
    fs.chmodSync(dir, 0o755);
    ensurePrivateDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });
});

describe('writeFileAtomic', () => {
  it('writes a key 0600 and a certificate 0644 whatever the umask, and leaves no temp file', () => {
    const dir = tempDir();
    withUmask(0o077, () => writeFileAtomic(path.join(dir, 'node.crt'), 'CERT', CERT_MODE));
    withUmask(0o000, () => writeFileAtomic(path.join(dir, 'node.key'), 'KEY', KEY_MODE));
    expect(modeOf(path.join(dir, 'node.crt'))).toBe(0o644);
    expect(modeOf(path.join(dir, 'node.key'))).toBe(0o600);
    expect(fs.readdirSync(dir).sort()).toEqual(['node.crt', 'node.key']);
  });

  it('replaces an existing file whole, with the new mode', () => {
    const dir = tempDir();
    const file = path.join(dir, 'ca.key');
    fs.writeFileSync(file, 'old and longer content', { mode: 0o644 });
    writeFileAtomic(file, 'new', KEY_MODE);
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(modeOf(file)).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['ca.key']);
  });

  it('throws when the target cannot take the file (a directory is in the way) and cleans its temp file up', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'node.crt'));
    expect(() => writeFileAtomic(path.join(dir, 'node.crt'), 'CERT', CERT_MODE)).toThrow();
    expect(fs.readdirSync(dir)).toEqual(['node.crt']);
  });
});

describe('readIfExists, tightenKeyMode', () => {
  it('reads a file, gives undefined for a missing one, and rethrows other errors', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'x'), 'text');
    expect(readIfExists(path.join(dir, 'x'))).toBe('text');
    expect(readIfExists(path.join(dir, 'missing'))).toBeUndefined();
    expect(() => readIfExists(dir)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
  });

  it('narrows a group- or world-readable key to 0600 and says so; leaves a private one alone', () => {
    const dir = tempDir();
    const key = path.join(dir, 'node.key');
    fs.writeFileSync(key, 'KEY', { mode: 0o640 });
    fs.chmodSync(key, 0o640);
    expect(tightenKeyMode(key)).toBe(true);
    expect(modeOf(key)).toBe(0o600);
    expect(tightenKeyMode(key)).toBe(false);
    fs.chmodSync(key, 0o400);
    expect(tightenKeyMode(key)).toBe(false);
    expect(modeOf(key)).toBe(0o400);
  });
});
