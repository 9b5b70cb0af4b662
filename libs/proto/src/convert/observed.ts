import type { HostFacts } from '../gen/hvs/v1/host.js';
import type { VmObserved } from '../gen/hvs/agent/v1/agent.js';

/**
 * The Node.status fields an agent's facts decide (MODEL.md NodeStatus). The
 * controller adds allocatable (overcommit), conditions and lastHeartbeat.
 */
export interface NodeStatusFromFacts {
  capacity: { cpus: number; memoryBytes: number };
  devices: { pciAddress: string; vendorDevice: string; iommuGroup?: number; description?: string }[];
  pools: { name: string; path?: string; type?: string; capacityBytes?: number; availableBytes?: number }[];
  agentVersion?: string;
  hypervisor: { mode: 'kvm' | 'qemu' | 'test'; uri: string };
}

const MODES = ['kvm', 'qemu', 'test'] as const;

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
    // An unknown mode (newer agent) is reported as the most restrictive: no KVM.
    hypervisor: { mode: (MODES as readonly string[]).includes(f.hypervisorMode) ? (f.hypervisorMode as 'kvm' | 'qemu' | 'test') : 'qemu', uri: f.libvirtUri },
  };
  if (f.agentVersion !== '') out.agentVersion = f.agentVersion;
  return out;
}

/** The VirtualMachine.status fields an agent observes (MODEL.md VirtualMachineStatus). */
export interface VmStatusFromObserved {
  phase?: string;
  node?: string;
  observedGeneration?: number;
  ips?: string[];
  console?: { type: string; host: string; port: number };
}

export function vmStatusFromObserved(o: VmObserved): VmStatusFromObserved {
  const out: VmStatusFromObserved = {};
  if (o.phase !== '') out.phase = o.phase;
  if (o.node !== '') out.node = o.node;
  if (o.observedGeneration > 0) out.observedGeneration = o.observedGeneration;
  if (o.ips.length > 0) out.ips = [...o.ips];
  if (o.console !== undefined && o.console.port > 0) out.console = { type: o.console.type, host: o.console.host, port: o.console.port };
  return out;
}
