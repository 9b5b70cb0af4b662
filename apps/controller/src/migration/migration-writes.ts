/**
 * The writes of a migration, each one transaction (DESIGN §3: decide, then commit with CAS; on
 * Conflict re-read and decide again). The VM and its Migration change together: the VM's
 * status.node flips in the same transaction that marks the Migration Succeeded, so no reader
 * ever sees one without the other.
 */
import { isHvsError, type Migration, type MigrationStatus, type VirtualMachine, type VirtualMachineStatus } from '@hvs/domain';
import { isConflict } from '../store/errors';
import type { ObjectStore, WriteOp } from '../store/types';

const ATTEMPTS = 5;

export type Change = { vm?: (s: VirtualMachineStatus) => VirtualMachineStatus; migration?: (s: MigrationStatus) => MigrationStatus };

/**
 * Re-reads the Migration (and its VM when `decide` changes it) and writes both statuses in one
 * batch; `decide` returns undefined to write nothing (e.g. already done). Returns the written
 * Migration, or undefined when nothing was written.
 */
export async function commit(store: ObjectStore, name: string, decide: (m: Migration, vm: VirtualMachine | undefined) => Change | undefined): Promise<Migration | undefined> {
  for (let attempt = 1; ; attempt++) {
    const m = await store.get<Migration>('Migration', name);
    const vm = await store.get<VirtualMachine>('VirtualMachine', m.spec.vm).catch((e: unknown) => {
      if (isHvsError(e) && e.category === 'NotFound') return undefined;
      throw e;
    });
    const change = decide(m, vm);
    if (!change) return undefined;
    const ops: WriteOp[] = [{ op: 'updateStatus', object: { ...m, status: change.migration ? change.migration(m.status ?? {}) : m.status } }];
    if (change.vm && vm) ops.push({ op: 'updateStatus', object: { ...vm, status: change.vm(vm.status ?? {}) } });
    try {
      const res = await store.applyBatch(ops);
      return res.results[0]!.object as Migration;
    } catch (e) {
      if (!isConflict(e) || attempt >= ATTEMPTS) throw e;
    }
  }
}

/** Without `key` (undefined values are dropped: the stored JSON has no such key). */
export function without<T extends object>(o: T, ...keys: (keyof T)[]): T {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}
