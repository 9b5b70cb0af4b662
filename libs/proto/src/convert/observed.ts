import { VM_PHASES, type MigrationStatus, type NodeStatus, type VirtualMachineStatus } from '@hvs/domain';
import type { HostFacts } from '../gen/hvs/v1/host.js';
import type { MigrateProgress, VmObserved } from '../gen/hvs/agent/v1/agent.js';

/**
 * The Node.status fields an agent's facts decide. The controller adds
 * allocatable (overcommit), conditions and lastHeartbeat.
 */
export type NodeStatusFromFacts = Required<Pick<NodeStatus, 'capacity' | 'devices' | 'pools' | 'hypervisor'>> & Pick<NodeStatus, 'agentVersion' | 'ipv4Routes'>;

const MODES = ['kvm', 'qemu', 'test'] as const;
type Mode = (typeof MODES)[number];
const CONFINING = ['apparmor', 'selinux'] as const;

export function nodeStatusFromFacts(f: HostFacts): NodeStatusFromFacts {
  const out: NodeStatusFromFacts = {
    capacity: { cpus: f.cpus, memoryBytes: f.memoryBytes },
    devices: f.pciDevices.map((d) => ({
      pciAddress: d.pciAddress,
      vendorDevice: d.vendorDevice,
      ...(d.iommuGroup >= 0 ? { iommuGroup: d.iommuGroup } : {}),
      ...(d.description !== '' ? { description: d.description } : {}),
    })),
    pools: f.pools.map((p) => ({
      name: p.name,
      ...(p.path !== '' ? { path: p.path } : {}),
      ...(p.type !== '' ? { type: p.type } : {}),
      capacityBytes: p.capacityBytes,
      availableBytes: p.availableBytes,
    })),
    // A mode this version does not know (newer agent) reads as 'qemu': never claim KVM.
    hypervisor: {
      mode: (MODES as readonly string[]).includes(f.hypervisorMode) ? (f.hypervisorMode as Mode) : 'qemu', uri: f.libvirtUri,
      // No security models: an agent that does not report them; a model this version does not know confines nothing it can name.
      ...(f.securityModels.length > 0 ? {
        confinement: {
          confined: (CONFINING as readonly string[]).includes(f.confinement),
          ...((CONFINING as readonly string[]).includes(f.confinement) ? { model: f.confinement as (typeof CONFINING)[number] } : {}),
          securityModels: f.securityModels.slice(0, 16).map((m) => m.slice(0, 64)),
          apparmorEnabled: f.apparmorEnabled,
        },
      } : {}),
    },
  };
  if (f.agentVersion !== '') out.agentVersion = f.agentVersion;
  // Empty: an agent that does not report them (older), or a host with no route of its own.
  if (f.ipv4Routes.length > 0) out.ipv4Routes = f.ipv4Routes.slice(0, 1024).map((r) => r.slice(0, 64));
  return out;
}

export type VmStatusFromObserved = Pick<VirtualMachineStatus, 'phase' | 'node' | 'observedGeneration' | 'ips' | 'console'>;

/** The VirtualMachine.status fields an agent observes; an unknown phase reads as Unknown. */
export function vmStatusFromObserved(o: VmObserved): VmStatusFromObserved {
  const out: VmStatusFromObserved = {};
  if (o.phase !== '') out.phase = (VM_PHASES as readonly string[]).includes(o.phase) ? (o.phase as (typeof VM_PHASES)[number]) : 'Unknown';
  if (o.node !== '') out.node = o.node;
  if (o.observedGeneration > 0) out.observedGeneration = o.observedGeneration;
  if (o.ips.length > 0) out.ips = [...o.ips];
  if (o.console !== undefined && o.console.port > 0) out.console = { type: o.console.type, host: o.console.host, port: o.console.port };
  return out;
}

/** Migration.status progress fields from one agent progress report. */
export function migrationStatusFromProgress(p: MigrateProgress): Pick<MigrationStatus, 'progress' | 'downtimeMs'> {
  const out: Pick<MigrationStatus, 'progress' | 'downtimeMs'> = {
    progress: { bytesTotal: p.dataTotal, bytesDone: p.dataProcessed, dirtyRate: p.dirtyRate },
  };
  if (p.downtimeMs > 0) out.downtimeMs = p.downtimeMs;
  return out;
}
