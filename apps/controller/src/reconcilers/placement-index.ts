/**
 * The scheduler's view of the cluster, kept current from the Node and VirtualMachine
 * informers instead of being listed per decision. Placements change incrementally (one
 * ClusterSnapshot add/remove per VM event); any Node change rebuilds the snapshot lazily on
 * the next decision (O(nodes + placements), rare).
 *
 * `assume` records a decision before its CAS write lands (the Kubernetes scheduler's assumed
 * pods): decisions are synchronous, so two workers never pick from the same free capacity;
 * `forget` drops an assumption whose write failed. The watch event of the written binding
 * replaces the assumption.
 */
import { ClusterSnapshot, placementOf, type Node, type Placement, type ScheduleResult, type VirtualMachine } from '@hvs/domain';
import type { Informer, InformerEvent } from './informer';

export class PlacementIndex {
  private readonly bound = new Map<string, Placement>();
  private readonly assumed = new Map<string, Placement>();
  private snapshot: ClusterSnapshot | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly nodes: Informer<Node>,
    vms: Informer<VirtualMachine>,
  ) {
    for (const vm of vms.list()) this.onVm({ type: 'ADDED', object: vm });
    this.unsubscribe.push(vms.subscribe((e) => this.onVm(e)));
    this.unsubscribe.push(nodes.subscribe(() => (this.snapshot = undefined)));
  }

  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** Picks the node for `vm` from the current view; pure apart from building the snapshot. */
  decide(vm: VirtualMachine): ScheduleResult {
    return this.view().schedule(vm);
  }

  /** Counts `p` as placed until the binding's watch event arrives or `forget` is called. */
  assume(p: Placement): void {
    this.assumed.set(p.vm, p);
    this.snapshot?.add(p);
  }

  forget(vm: string): void {
    if (!this.assumed.delete(vm)) return;
    const real = this.bound.get(vm);
    if (real) this.snapshot?.add(real);
    else this.snapshot?.remove(vm);
  }

  /** Placements counted now (bound and assumed), for tests and metrics. */
  placements(): Placement[] {
    const all = new Map(this.bound);
    for (const [vm, p] of this.assumed) all.set(vm, p);
    return [...all.values()];
  }

  private view(): ClusterSnapshot {
    this.snapshot ??= new ClusterSnapshot(this.nodes.list(), this.placements());
    return this.snapshot;
  }

  private onVm(e: InformerEvent<VirtualMachine>): void {
    const name = e.object.metadata.name;
    const node = e.type === 'DELETED' ? undefined : e.object.status?.node;
    if (node) {
      const p = boundPlacement(e.object, node);
      this.bound.set(name, p);
      this.assumed.delete(name);
      this.snapshot?.add(p);
      return;
    }
    this.bound.delete(name);
    if (e.type === 'DELETED') this.assumed.delete(name);
    if (!this.assumed.has(name)) this.snapshot?.remove(name);
  }
}

/**
 * The placement of a bound VM. status has no field for the PCI addresses chosen for a
 * vendor-only hostdev request, so only addresses named in the spec are counted (see
 * docs/architecture/control-loops.md, "Limits").
 */
export function boundPlacement(vm: VirtualMachine, node: string): Placement {
  const named = (vm.spec.devices?.hostdevs ?? []).flatMap((h) => (h.pciAddress ? [h.pciAddress.toLowerCase()] : []));
  return placementOf(vm, node, named);
}
