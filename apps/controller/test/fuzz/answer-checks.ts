/**
 * What every fuzz answer must satisfy, whatever the transport: no trace of the server's insides
 * (stack frames, file paths of the installation or its data dir) and, for a refused request, no
 * write to etcd but its audit record (none at all for a caller refused for lack of a credential:
 * anonymous traffic must not fill etcd, issue 12 item 4).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { AUDIT_PREFIX } from './etcd-writes';

const REPO_ROOT = path.resolve(__dirname, '../../../..');

const LEAKS: readonly [RegExp, string][] = [
  [/\bat (?:async )?[\w$.<>[\] ]+ \(\S*:\d+:\d+\)/, 'a stack frame'],
  [/\bat (?:file:\/\/)?\/\S+:\d+:\d+/, 'a stack frame'],
  [/node_modules/, 'a node_modules path'],
  [/\.[jt]s:\d+/, 'a source file position'],
];

/** Why `text` (an answer body, a status message) shows the server's insides, or undefined. */
export function leakIn(text: string): string | undefined {
  if (text.includes(REPO_ROOT)) return `the installation path ${REPO_ROOT}`;
  const tmp = `${os.tmpdir()}/hvs-`;
  if (text.includes(tmp)) return `a data path under ${tmp}`;
  for (const [re, what] of LEAKS) {
    const m = re.exec(text);
    if (m) return `${what} ("${m[0]}")`;
  }
  return undefined;
}

export function expectNoLeak(text: string, where: string): void {
  const leak = leakIn(text);
  if (leak) throw new Error(`${where} shows ${leak}: ${text.slice(0, 2_000)}`);
}

/**
 * The keys a refused request wrote must be audit records only, and none at all when the caller
 * was refused as unauthenticated.
 */
export function expectRefusalWroteNothing(written: readonly string[], unauthenticated: boolean, where: string): void {
  const bad = unauthenticated ? written : written.filter((k) => !k.startsWith(AUDIT_PREFIX));
  if (bad.length > 0) {
    throw new Error(`${where} was refused but wrote ${bad.length} etcd key(s)${unauthenticated ? ' for an unauthenticated caller' : ''}: ${[...new Set(bad)].slice(0, 10).join(', ')}`);
  }
}
