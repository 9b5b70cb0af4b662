import { capacityN1, occupiedPlacements, type CapacityN1Report, type Migration, type Node, type VirtualMachine } from '@hvs/domain';
import { Gauge, type Registry } from 'prom-client';

/**
 * The N+1 report over what the informers hold now: bound VMs, plus the target capacity held by
 * migrations in flight (a reservation is not a VM: it is never "lost" with its node, but it
 * does take room a restart could have used).
 */
export function capacityReport(nodes: readonly Node[], vms: readonly VirtualMachine[], migrations: readonly Migration[] = []): CapacityN1Report {
  return capacityN1(nodes, occupiedPlacements(vms, migrations), vms);
}

export interface CapacitySource {
  /** undefined when this replica does not lead (no informers): the gauge then has no sample. */
  report(): CapacityN1Report | undefined;
}

/**
 * `hvs_ha_capacity_n1_ok{scope="cluster"}`: 1 when every HA VM would restart if any one node
 * failed, else 0; computed per scrape, by the leader only (a follower exports no sample, rather
 * than a misleading 0: the label exists so prom-client can leave the series out).
 */
export function registerCapacityGauge(registry: Registry, source: CapacitySource): Gauge<'scope'> {
  const existing = registry.getSingleMetric('hvs_ha_capacity_n1_ok');
  if (existing) registry.removeSingleMetric('hvs_ha_capacity_n1_ok');
  return new Gauge({
    name: 'hvs_ha_capacity_n1_ok', help: 'Whether every HA VM would fit on the remaining nodes if any one node failed (1 yes, 0 no); only on the leader.',
    labelNames: ['scope'], registers: [registry],
    collect() {
      this.reset();
      const r = source.report();
      if (r) this.set({ scope: 'cluster' }, r.ok ? 1 : 0);
    },
  });
}
