/**
 * What every controller fuzz answer must satisfy besides showing no insides (test/harness/fuzz.ts):
 * a refused request writes nothing to etcd but its audit record, and nothing at all when the
 * caller was refused for lack of a credential (anonymous traffic must not fill etcd, issue 12 item 4).
 */
import { AUDIT_PREFIX, type EtcdWrite } from './etcd-writes';

export { expectNoLeak, HVS_CODE } from '../../../../test/harness/fuzz';

/**
 * A refused request may write audit records only, and an unauthenticated one nothing at all.
 * Audit records of verified callers are not the unauthenticated call's: a refusal for lack of
 * permission is audited without waiting (services/refusals.ts), so its record can land while
 * the next case runs.
 */
export function expectRefusalWroteNothing(written: readonly EtcdWrite[], unauthenticated: boolean, where: string): void {
  const bad = written.filter((w) => !w.key.startsWith(AUDIT_PREFIX) || (unauthenticated && auditActor(w) === 'anonymous'));
  if (bad.length > 0) {
    throw new Error(`${where} was refused but wrote ${bad.length} etcd key(s)${unauthenticated ? ' for an unauthenticated caller' : ''}: ${[...new Set(bad.map((w) => w.key))].slice(0, 10).join(', ')}`);
  }
}

function auditActor(w: EtcdWrite): string | undefined {
  try {
    return (JSON.parse(w.value) as { spec?: { actor?: string } }).spec?.actor;
  } catch {
    return undefined;
  }
}
