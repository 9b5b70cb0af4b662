/**
 * What each node's agent has confirmed about VMs that left its assignment: the domain is
 * undefined and the volumes are removed (or kept per the node's disk policy). Agents never
 * write etcd; this is learnt from two reports and read by the deletion loop (the VM's
 * finalizer waits on it):
 * - a VmRemoved with cleaned_up on the Watch stream (the agent finished a clean-up);
 * - an accepted Assign that left the VM out and whose answer does not list its uid among
 *   `removing_uids` (the agent holds nothing of it: never had it, or finished before).
 * A confirmation is final for a uid (a terminating VM is never assigned again), so a
 * VmRemoved that overtakes the Assign answer listing the uid still counts. In memory only: a
 * new leader re-learns it from the first Assign it sends each agent.
 */

export interface RemovedVm {
  uid: string;
  name: string;
}

export class CleanupReports {
  private readonly confirmed = new Map<string, Set<string>>();
  /** Per node: the uids the agent's last Assign answer said it still cleans up. */
  private readonly removing = new Map<string, Set<string>>();

  /** `onConfirmed`: told once per newly confirmed VM (the deletion loop re-checks it). */
  constructor(private readonly onConfirmed: (node: string, vm: RemovedVm) => void = () => undefined) {}

  isConfirmed(node: string, uid: string): boolean {
    return this.confirmed.get(node)?.has(uid) ?? false;
  }

  /** The agent of `node` finished the clean-up of `vm`. */
  confirm(node: string, vm: RemovedVm): void {
    if (vm.uid === '' || this.isConfirmed(node, vm.uid)) return;
    let set = this.confirmed.get(node);
    if (!set) this.confirmed.set(node, (set = new Set()));
    set.add(vm.uid);
    this.onConfirmed(node, vm);
  }

  /** The agent of `node` accepted an assignment without `excluded`; `removing` is its answer's list. */
  assigned(node: string, excluded: readonly RemovedVm[], removing: readonly string[]): void {
    this.removing.set(node, new Set(removing));
    for (const vm of excluded) if (!removing.includes(vm.uid)) this.confirm(node, vm);
  }

  /**
   * Whether some of `excluded` have neither been confirmed nor reported as being removed: the
   * agent must be asked (an Assign, even one whose content it already has) to learn where they stand.
   */
  unknown(node: string, excluded: readonly RemovedVm[]): boolean {
    const removing = this.removing.get(node);
    return excluded.some((vm) => !this.isConfirmed(node, vm.uid) && !removing?.has(vm.uid));
  }

  /** The VM left etcd: nothing more to remember about it. */
  forget(uid: string): void {
    for (const set of this.confirmed.values()) set.delete(uid);
  }
}
