import { capacityN1, placementOf, type CapacityN1Report, type Node, type VirtualMachine } from '@hvs/domain';
import { Gauge, type Registry } from 'prom-client';

/** The N+1 report over what the informers hold now: bound VMs as placements. */
export function capacityReport(nodes: readonly Node[], vms: readonly VirtualMachine[]): CapacityN1Report {
  const placements = vms.filter((v) => v.status?.node && !v.metadata.deletionTimestamp).map((v) => placementOf(v, v.status!.node!));
  return capacityN1(nodes, placements, vms);
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
