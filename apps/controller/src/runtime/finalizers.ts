/**
 * Finalizers (DESIGN §2): a name per clean-up concern, put on an object when it is created;
 * deleting the object only sets deletionTimestamp while any remain, and the loop that owns a
 * concern removes its name once that clean-up is confirmed (apps/controller/src/deletion). The
 * store deletes the object when the last one goes. One concern per kind and per thing to undo
 * outside etcd: the VM's host resources now; a Network's bridges or an Image's cached copies
 * add their own entry to FINALIZER_CONCERNS, and the rest (create, delete, force, the loop)
 * follows.
 */
import { domainName } from '@hvs/domain';
import type { StoredObject } from '../store/types';

/** The VM's domain and volumes on its node: undefined and removed (or kept per the node's disk policy). */
export const VM_HOST_CLEANUP = 'hvs.dev/host-cleanup';

export interface FinalizerConcern {
  finalizer: string;
  kind: string;
  /**
   * Whether something outside etcd may exist for this object now. False (a VM never bound to a
   * node) lets a delete drop the finalizer in the same write: the object goes at once.
   */
  mayHoldResources(object: StoredObject): boolean;
  /** What a forced delete may leave behind, said to the person forcing it. */
  leftovers(object: StoredObject): string;
}

const nodeOf = (o: StoredObject): string | undefined => {
  const node = (o.status as { node?: unknown } | undefined)?.node;
  return typeof node === 'string' && node !== '' ? node : undefined;
};

export const FINALIZER_CONCERNS: readonly FinalizerConcern[] = [
  {
    finalizer: VM_HOST_CLEANUP,
    kind: 'VirtualMachine',
    mayHoldResources: (vm) => nodeOf(vm) !== undefined,
    leftovers: (vm) => {
      const node = nodeOf(vm);
      const domain = domainName(vm.metadata.uid ?? '<uid>');
      return node === undefined
        ? `nothing: ${vm.metadata.name} was never bound to a node`
        : `node ${node} may still hold domain ${domain} and its volumes ${domain}-*; if the node comes back, its agent removes them on its own `
          + `(they are no longer assigned); otherwise remove them on the host: virsh undefine ${domain}, and the files ${domain}-* in its pools `
          + '(`hvctl diagnose` lists volumes no VM owns on the agents it reaches)';
    },
  },
];

/** The finalizers a new object of `kind` starts with. */
export function finalizersFor(kind: string): string[] {
  return FINALIZER_CONCERNS.filter((c) => c.kind === kind).map((c) => c.finalizer);
}

export function concernOf(finalizer: string): FinalizerConcern | undefined {
  return FINALIZER_CONCERNS.find((c) => c.finalizer === finalizer);
}

/** Deletion was asked for; the object waits on its finalizers. */
export function isTerminating(o: StoredObject): boolean {
  return o.metadata.deletionTimestamp !== undefined;
}

export function hasFinalizer(o: StoredObject, finalizer: string): boolean {
  return o.metadata.finalizers?.includes(finalizer) ?? false;
}

/** The object without `finalizer` (for an update; the store removes a terminating object left with none). */
export function withoutFinalizer<T extends StoredObject>(o: T, finalizer: string): T {
  return { ...o, metadata: { ...o.metadata, finalizers: (o.metadata.finalizers ?? []).filter((f) => f !== finalizer) } };
}

/** The finalizers of `o` whose concern has nothing to clean up now (a delete may drop them at once). */
export function idleFinalizers(o: StoredObject): string[] {
  return (o.metadata.finalizers ?? []).filter((f) => {
    const c = concernOf(f);
    return c !== undefined && c.kind === o.kind && !c.mayHoldResources(o);
  });
}
