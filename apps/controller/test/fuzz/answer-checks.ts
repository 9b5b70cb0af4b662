/**
 * What every controller fuzz answer must satisfy besides showing no insides (test/harness/fuzz.ts):
 * a refused request writes nothing to etcd but its audit record, and nothing at all when the
 * caller was refused for lack of a credential (anonymous traffic must not fill etcd, issue 12 item 4).
 */
import { AUDIT_PREFIX } from './etcd-writes';

export { expectNoLeak, HVS_CODE } from '../../../../test/harness/fuzz';

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
