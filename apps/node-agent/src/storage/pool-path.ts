import type { Stats } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { HvsError } from '@hvs/domain';

/**
 * Every volume path is resolved here: a plain file name (no separators, no `..`) inside the
 * pool's real directory, and never a symlink (a volume is a regular file; a link could point
 * anywhere). The agent owns the pool directory, so the check-then-use window is accepted.
 */
const NAME = /^[a-z0-9][a-z0-9._-]{0,200}$/;

export function invalidName(name: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-VOLUME-NAME-INVALID',
    category: 'InvalidArgument',
    message: `volume name '${name.slice(0, 80)}' is not allowed`,
    why,
    fix: 'Use a plain file name of lower-case letters, digits, `.`, `_` and `-` (the agent names volumes hvs-<uid>-<disk>.qcow2).',
  });
}

function escape(path: string, root: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-VOLUME-PATH-ESCAPE',
    category: 'PermissionDenied',
    message: `volume path ${path} is refused`,
    why,
    fix: `Remove the stray entry from ${root} (volumes are regular files made by the agent) and retry.`,
  });
}

/** The pool directory's real path; throws HVS-VOLUME-POOL-MISSING when it is not a directory. */
export async function poolRoot(poolDir: string): Promise<string> {
  try {
    const root = await realpath(poolDir);
    if (!(await lstat(root)).isDirectory()) throw new Error('not a directory');
    return root;
  } catch (e) {
    throw new HvsError({
      code: 'HVS-VOLUME-POOL-MISSING',
      category: 'FailedPrecondition',
      message: `storage pool directory ${poolDir} is unusable`,
      why: (e as Error).message,
      fix: `Create it (mkdir -p ${poolDir}) or fix the pool path in the agent config.`,
    });
  }
}

/**
 * Absolute path of `name` inside the pool; `exists` says whether a regular file is there now,
 * and `stat` is that file's lstat (its identity, for callers that remember what they checked).
 */
export async function resolveInPool(root: string, name: string): Promise<{ path: string; exists: boolean; stat?: Stats }> {
  if (name.includes('/') || name.includes('\\') || name.includes('\0')) throw invalidName(name, 'it contains a path separator');
  if (name === '.' || name === '..' || name.includes('..')) throw invalidName(name, 'it contains `..`');
  if (!NAME.test(name)) throw invalidName(name, 'it has characters outside [a-z0-9._-] or is too long');
  const path = join(root, name);
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path, exists: false };
    throw e;
  }
  if (st.isSymbolicLink()) throw escape(path, root, 'it is a symbolic link, which could point outside the pool');
  const real = await realpath(path);
  if (!real.startsWith(root + sep)) throw escape(path, root, `it resolves to ${real}, outside the pool ${root}`);
  if (!st.isFile()) throw escape(path, root, 'it is not a regular file');
  return { path, exists: true, stat: st };
}

/** A base image path must resolve (symlinks followed) inside one of the allowed directories. */
export async function resolveBase(allowedDirs: string[], path: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (e) {
    throw new HvsError({
      code: 'HVS-VOLUME-BASE-NOT-FOUND',
      category: 'NotFound',
      message: `base image ${path} not found`,
      why: (e as Error).message,
      fix: 'Download and verify the image first (it must be cached on this node).',
    });
  }
  for (const dir of allowedDirs) {
    const root = await realpath(dir).catch(() => undefined);
    if (root && real.startsWith(root + sep)) return real;
  }
  throw escape(path, allowedDirs.join(', '), `it resolves to ${real}, outside the image directories`);
}
