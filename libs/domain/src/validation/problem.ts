/**
 * Building Problems: field paths, value quoting (never for secrets), and the
 * code -> what/why/fix text from the catalog.
 */
import type { Problem } from '../errors';
import { codeInfo } from './catalog';

export type PathSeg = string | number;

/** ['spec','disks',0,'size'] -> `spec.disks[0].size`; odd keys are quoted: `labels["hvs.io/x"]`. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg.length > 64 ? `${seg.slice(0, 64)}...` : seg)}]`;
  }
  return out;
}

/** The value at a path, following own properties only (never the prototype chain). */
export function valueAt(root: unknown, path: readonly PathSeg[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<PathSeg, unknown>)[seg];
  }
  return cur;
}

/** Fields whose values are never echoed: cloud-init user data may carry passwords and keys. */
export function isSecretPath(path: readonly PathSeg[]): boolean {
  // spec.data: the values of a Secret (no other kind has spec.data).
  if (path[0] === 'spec' && path[1] === 'data') return true;
  return path.some((s) => s === 'userData' || s === 'networkConfig' || (typeof s === 'string' && /secret|password|token/i.test(s) && s !== 'secretRefs' && s !== 'secretRef'));
}

const QUOTE_MAX = 80;

/** A short, safe rendering of a value for a message. */
export function quote(value: unknown, path: readonly PathSeg[] = []): string {
  if (isSecretPath(path)) return '(value hidden)';
  if (typeof value === 'string') {
    // URL credentials (`https://user:pw@host`) are masked before anything is echoed.
    const masked = value.replace(/\/\/[^/@\s]*@/g, '//***@');
    const cut = masked.length > QUOTE_MAX ? `${masked.slice(0, QUOTE_MAX)}...` : masked;
    return JSON.stringify(cut);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return '(missing)';
  if (Array.isArray(value)) return `(a list of ${value.length})`;
  return '(an object)';
}

export interface ProblemOptions {
  /** Replaces the catalog's `what`. */
  what?: string;
  /** Appended to the message, e.g. `(did you mean "size"?)`. */
  detail?: string;
  why?: string;
  fix?: string;
  /** Names the thing instead of quoting the value, verbatim (`rule 2`, `a dir pool`). */
  subject?: string;
}

export function problem(code: string, path: readonly PathSeg[], value: unknown, opts: ProblemOptions = {}): Problem {
  const info = codeInfo(code);
  const what = opts.what ?? info.what;
  const subject = opts.subject !== undefined ? opts.subject : value === undefined ? 'the field' : quote(value, path);
  const fix = opts.fix ?? (typeof info.fix === 'function' ? info.fix(isSecretPath(path) ? undefined : value) : info.fix);
  const p: Problem = {
    code,
    message: `${subject} ${what}${opts.detail ? ` ${opts.detail}` : ''}`,
    why: opts.why ?? info.why,
    fix,
  };
  if (path.length > 0) p.path = formatPath(path);
  return p;
}
