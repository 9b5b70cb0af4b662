import type { Node } from '../kinds/node';
import type { VirtualMachine } from '../kinds/vm';
import { formatUnschedulable } from '../scheduler/schedule';
import { placementOf } from '../scheduler/request';
import { ClusterSnapshot } from '../scheduler/snapshot';
import type { Placement } from '../scheduler/types';
import { haRestartOrder } from './restart-order';

export interface HostLoss {
  /** The host assumed dead. */
  node: string;
  /** Its HA VMs, in restart order. */
  haVms: string[];
  /** Where each would restart (the scheduler's choice on the surviving hosts). */
  placed: { vm: string; node: string }[];
  /** What would not fit anywhere, with the scheduler's per-node reasons. */
  unplaced: { vm: string; reason: string }[];
}

export interface CapacityN1Report {
  /** Every HA VM would find a host whichever single host died. */
  ok: boolean;
  /** One entry per node, sorted by name. */
  hosts: HostLoss[];
}

/**
 * N+1 check: for each node, pretend it died and restart its HA VMs (priority order, as the
 * controller would) on the remaining nodes with the real scheduler, counting every VM that
 * stays put plus each restart decided before it. Pure; O(nodes * (nodes + placements)).
 * Non-HA VMs of the dead host are not restarted and need no room. Nodes that cannot take VMs
 * now (not Ready, cordoned) do not help the survivors either.
 */
export function capacityN1(nodes: readonly Node[], placements: readonly Placement[], vms: readonly VirtualMachine[]): CapacityN1Report {
  const byName = new Map(vms.map((v) => [v.metadata.name, v]));
  const sorted = [...nodes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  const hosts = sorted.map((dead): HostLoss => {
    const name = dead.metadata.name;
    const survivors = sorted.filter((n) => n !== dead);
    const staying = placements.filter((p) => p.node !== name);
    const lost = haRestartOrder(placements.filter((p) => p.node === name).map((p) => byName.get(p.vm)).filter((v): v is VirtualMachine => v !== undefined));
    const snapshot = new ClusterSnapshot(survivors, staying);
    const loss: HostLoss = { node: name, haVms: lost.map((v) => v.metadata.name), placed: [], unplaced: [] };
    for (const vm of lost) {
      const r = snapshot.schedule(vm);
      if (r.ok) {
        snapshot.add(placementOf(vm, r.node, r.hostdevs));
        loss.placed.push({ vm: vm.metadata.name, node: r.node });
      } else {
        loss.unplaced.push({ vm: vm.metadata.name, reason: formatUnschedulable(r) });
      }
    }
    return loss;
  });
  return { ok: hosts.every((h) => h.unplaced.length === 0), hosts };
}

/** Human text for `hvctl capacity` and logs. */
export function formatCapacityN1(report: CapacityN1Report): string {
  const lines = [report.ok ? 'N+1: OK, every HA VM fits if any one host fails' : 'N+1: NOT OK, some HA VMs would not restart if a host failed'];
  for (const h of report.hosts) {
    if (h.haVms.length === 0) {
      lines.push(`  ${h.node}: no HA VMs`);
      continue;
    }
    const where = h.placed.map((p) => `${p.vm} -> ${p.node}`).join(', ');
    lines.push(`  ${h.node} fails: ${h.placed.length}/${h.haVms.length} HA VMs restart${where ? ` (${where})` : ''}`);
    for (const u of h.unplaced) lines.push(`    ${u.vm} would NOT restart: ${u.reason}`);
  }
  return lines.join('\n');
}
