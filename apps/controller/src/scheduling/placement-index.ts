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
 *
 * With a Migration informer, every migration in flight also holds its VM's size on its target
 * (libs/domain reservation.ts): the VM counts on the source (still bound there) and on the
 * target until the Migration ends, so nothing new is placed into capacity a landing migration
 * needs. Reservations follow both the Migration's and the VM's events.
 */
import {
  ClusterSnapshot, migrationInFlight, placementOf, reservationKey, reservationOf, type Migration, type Node, type Placement, type ScheduleResult, type VirtualMachine,
} from '@hvs/domain';
import type { Informer, InformerEvent } from '../runtime/informer';

export class PlacementIndex {
  private readonly bound = new Map<string, Placement>();
  private readonly assumed = new Map<string, Placement>();
  /** Reservation key -> the target capacity a migration in flight holds. */
  private readonly reserved = new Map<string, Placement>();
  /** VM name -> its Migrations in flight (their reservations depend on the VM too). */
  private readonly migrationsOfVm = new Map<string, Set<string>>();
  private snapshot: ClusterSnapshot | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly nodes: Informer<Node>,
    private readonly vms: Informer<VirtualMachine>,
    private readonly migrations?: Informer<Migration>,
  ) {
    for (const vm of vms.list()) this.onVm({ type: 'ADDED', object: vm });
    this.unsubscribe.push(vms.subscribe((e) => this.onVm(e)));
    this.unsubscribe.push(nodes.subscribe(() => (this.snapshot = undefined)));
    if (migrations) {
      for (const m of migrations.list()) this.onMigration(m.metadata.name);
      this.unsubscribe.push(migrations.subscribe((e) => this.onMigration(e.object.metadata.name)));
    }
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

  /** Placements counted now (bound, assumed and migration reservations), for tests and metrics. */
  placements(): Placement[] {
    const all = new Map(this.bound);
    for (const [vm, p] of this.assumed) all.set(vm, p);
    for (const [key, p] of this.reserved) all.set(key, p);
    return [...all.values()];
  }

  /** Reservations held now (one per migration in flight with a target). */
  reservations(): Placement[] {
    return [...this.reserved.values()];
  }

  /** Re-derives the reservation of Migration `name` from the current Migration and VM. */
  private onMigration(name: string): void {
    const m = this.migrations?.get(name);
    const key = reservationKey(name);
    const p = m ? reservationOf(m, this.vms.get(m.spec.vm)) : undefined;
    if (m) {
      const set = this.migrationsOfVm.get(m.spec.vm) ?? new Set<string>();
      if (p || migrationInFlight(m)) set.add(name);
      else set.delete(name);
      if (set.size > 0) this.migrationsOfVm.set(m.spec.vm, set);
      else this.migrationsOfVm.delete(m.spec.vm);
    } else {
      for (const [vm, set] of this.migrationsOfVm) if (set.delete(name) && set.size === 0) this.migrationsOfVm.delete(vm);
    }
    if (p) {
      this.reserved.set(key, p);
      this.snapshot?.add(p);
    } else if (this.reserved.delete(key)) {
      this.snapshot?.remove(key);
    }
  }

  private view(): ClusterSnapshot {
    this.snapshot ??= new ClusterSnapshot(this.nodes.list(), this.placements());
    return this.snapshot;
  }

  private onVm(e: InformerEvent<VirtualMachine>): void {
    const name = e.object.metadata.name;
    this.placeVm(e);
    // A VM seen after its Migration, or flipped to its target (offline move): re-derive.
    for (const m of [...(this.migrationsOfVm.get(name) ?? [])]) this.onMigration(m);
  }

  private placeVm(e: InformerEvent<VirtualMachine>): void {
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
