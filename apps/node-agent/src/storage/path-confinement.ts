import { lstat, realpath, stat } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { HvsError, type ExplicitPath } from '@hvs/domain';
import { poolRoot } from './pool-path';

/**
 * The host check of the files a spec names by path (libs/domain explicitPaths): the renderer
 * checks them as strings only, so a symlink in a pool (`etclink -> /etc`) would hand a VM
 * /etc/shadow as its kernel. Here each path is resolved with realpath (every symlink on the way,
 * in the pool directory itself too) and must end at a regular file inside the pool's real
 * directory; a dangling symlink is refused (it could be pointed anywhere later).
 * Symlinks that stay inside the pool are allowed (`vmlinuz -> vmlinuz-6.1`).
 * Window: the check runs before every define and start; libvirt opens the file later, so who
 * can write the pool directory could still swap a link between the two. The pool directory is
 * the operator's (0755 root by default); per-VM AppArmor confinement closes the rest where the
 * host has it (docs/security.md).
 */
export async function confineToPool(p: ExplicitPath): Promise<string> {
  const root = await poolRoot(p.poolPath);
  const inside = (real: string) => real.startsWith(root === sep ? sep : root + sep);
  let link: boolean;
  try {
    link = (await lstat(p.path)).isSymbolicLink();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
    // Missing: still refuse a path whose directories lead out of the pool, so the error says the truth.
    const dir = await nearestReal(dirname(p.path));
    if (!inside(dir) && dir !== root) throw outside(p, root, `its directory resolves to ${dir}`);
    throw missing(p);
  }
  let real: string;
  try {
    real = await realpath(p.path);
  } catch (e) {
    if (link) throw outside(p, root, 'it is a dangling symbolic link (its target does not exist)');
    throw e;
  }
  if (!inside(real)) throw outside(p, root, `it resolves to ${real}${link ? ' through a symbolic link' : ' through a symbolically linked directory'}`);
  if (!(await stat(real)).isFile()) {
    throw new HvsError({
      code: 'HVS-AGENT-PATH-NOT-FILE', category: 'FailedPrecondition', path: p.field,
      message: `${p.field} ${p.path} is not a regular file`,
      why: 'a VM gets files from a pool, never directories or device nodes (a device node in a pool could be any host disk)',
      fix: `put the file at ${p.path} (pool "${p.pool}"), or change ${p.field}`,
    });
  }
  return real;
}

/** Checks every path; the first refusal throws. */
export async function confineAllToPools(paths: readonly ExplicitPath[]): Promise<void> {
  for (const p of paths) await confineToPool(p);
}

/** realpath of the deepest existing ancestor of `path`. */
async function nearestReal(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try {
      return await realpath(p);
    } catch {
      if (p === dirname(p)) return p;
    }
  }
}

function outside(p: ExplicitPath, root: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-AGENT-PATH-OUTSIDE-POOL', category: 'PermissionDenied', path: p.field,
    message: `${p.field} ${p.path} is refused: it leaves pool "${p.pool}" (${root})`,
    why: `${why}; a VM may only use files inside its pool`,
    fix: `replace the symbolic link with the file itself (copy it into ${root}), or point ${p.field} at a file inside the pool`,
  });
}

function missing(p: ExplicitPath): HvsError {
  return new HvsError({
    code: 'HVS-AGENT-PATH-MISSING', category: 'FailedPrecondition', path: p.field,
    message: `${p.field} ${p.path} does not exist on this node`,
    why: `a path in the spec names a file the operator puts into pool "${p.pool}"; the agent does not create it`,
    fix: `copy the file to ${p.path} on this node; the agent retries on its own`,
  });
}
