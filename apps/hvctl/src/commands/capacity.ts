/**
 * `hvctl capacity`: the N+1 report. Would every HA VM (spec.ha.restartPolicy Always) find a
 * host if any one node died? Computed here with the same pure scheduler the controller uses
 * (libs/domain capacityN1) over the Nodes, VMs and Migrations the API lists; the controller exports the
 * same answer as the metric hvs_ha_capacity_n1_ok.
 */
import { capacityN1, formatCapacityN1, occupiedPlacements, type Migration, type Node, type VirtualMachine } from '@hvs/domain';
import { fromProtoObject } from '@hvs/proto';
import { CliExit, EXIT, usageError } from '../errors';
import type { Runtime } from './runtime';

export interface CapacityOpts { output?: string; exitCode?: boolean }

export async function runCapacity(rt: Runtime, opts: CapacityOpts): Promise<void> {
  if (opts.output !== undefined && opts.output !== 'json') throw usageError(`-o ${opts.output} is not supported by capacity`, 'use -o json');
  const api = await rt.api();
  const [nodes, vms, migrations] = await Promise.all([api.list('Node'), api.list('VirtualMachine'), api.list('Migration')]);
  const nodeObjs = nodes.items.map((o) => fromProtoObject(o) as unknown as Node);
  const vmObjs = vms.items.map((o) => fromProtoObject(o) as unknown as VirtualMachine);
  const migrationObjs = migrations.items.map((o) => fromProtoObject(o) as unknown as Migration);
  // Migrations in flight hold their target's capacity, as the controller's gauge counts them.
  const report = capacityN1(nodeObjs, occupiedPlacements(vmObjs, migrationObjs), vmObjs);
  if (opts.output === 'json') rt.io.out(`${JSON.stringify(report, null, 2)}\n`);
  else rt.io.out(`${formatCapacityN1(report)}\n`);
  if (opts.exitCode && !report.ok) throw new CliExit(EXIT.changes);
}
