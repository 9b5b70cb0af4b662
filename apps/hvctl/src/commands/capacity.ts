/**
 * `hvctl capacity`: the N+1 report. Would every HA VM (spec.ha.restartPolicy Always) find a
 * host if any one node died? Computed here with the same pure scheduler the controller uses
 * (libs/domain capacityN1) over the Nodes and VMs the API lists; the controller exports the
 * same answer as the metric hvs_ha_capacity_n1_ok.
 */
import { capacityN1, formatCapacityN1, placementOf, type Node, type VirtualMachine } from '@hvs/domain';
import { fromProtoObject } from '@hvs/proto';
import { CliExit, EXIT, usageError } from '../errors';
import type { Runtime } from './runtime';

export interface CapacityOpts { output?: string; exitCode?: boolean }

export async function runCapacity(rt: Runtime, opts: CapacityOpts): Promise<void> {
  if (opts.output !== undefined && opts.output !== 'json') throw usageError(`-o ${opts.output} is not supported by capacity`, 'use -o json');
  const api = await rt.api();
  const [nodes, vms] = await Promise.all([api.list('Node'), api.list('VirtualMachine')]);
  const nodeObjs = nodes.items.map((o) => fromProtoObject(o) as unknown as Node);
  const vmObjs = vms.items.map((o) => fromProtoObject(o) as unknown as VirtualMachine);
  const placements = vmObjs.filter((v) => v.status?.node && !v.metadata.deletionTimestamp).map((v) => placementOf(v, v.status!.node!));
  const report = capacityN1(nodeObjs, placements, vmObjs);
  if (opts.output === 'json') rt.io.out(`${JSON.stringify(report, null, 2)}\n`);
  else rt.io.out(`${formatCapacityN1(report)}\n`);
  if (opts.exitCode && !report.ok) throw new CliExit(EXIT.changes);
}
