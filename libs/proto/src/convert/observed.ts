import { isIp, VM_PHASES, type MigrationStatus, type NodeStatus, type VirtualMachineStatus } from '@hvs/domain';
import type { HostFacts } from '../gen/hvs/v1/host.js';
import type { InterfaceObserved, MigrateProgress, VmObserved } from '../gen/hvs/agent/v1/agent.js';

/**
 * The Node.status fields an agent's facts decide. The controller adds
 * allocatable (overcommit), conditions and lastHeartbeat.
 */
export type NodeStatusFromFacts = Required<Pick<NodeStatus, 'capacity' | 'devices' | 'pools' | 'hypervisor'>> & Pick<NodeStatus, 'agentVersion'>;

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
  return out;
}

export type VmStatusFromObserved = Pick<VirtualMachineStatus, 'phase' | 'node' | 'observedGeneration' | 'ips' | 'console' | 'interfaces'>;
type StatusInterface = NonNullable<VirtualMachineStatus['interfaces']>[number];

const ADDRESS_SOURCES = ['reservation', 'lease', 'guest-agent'] as const;

/** One reported NIC as status.interfaces holds it; a source this version does not know is left out. */
function statusInterface(i: InterfaceObserved): StatusInterface {
  const out: StatusInterface = { name: i.name, mac: i.mac, network: i.network };
  // Addresses come from the guest (via its agent): a malformed one is dropped, not written into status.
  if (isIp(i.ipv4)) out.ipv4 = i.ipv4;
  const ipv6 = i.ipv6.filter(isIp).slice(0, 16);
  if (ipv6.length > 0) out.ipv6 = ipv6;
  if ((ADDRESS_SOURCES as readonly string[]).includes(i.source)) out.source = i.source as StatusInterface['source'];
  if (i.dnsName !== '') out.dnsName = i.dnsName;
  return out;
}

/** The VirtualMachine.status fields an agent observes; an unknown phase reads as Unknown. */
export function vmStatusFromObserved(o: VmObserved): VmStatusFromObserved {
  const out: VmStatusFromObserved = {};
  if (o.phase !== '') out.phase = (VM_PHASES as readonly string[]).includes(o.phase) ? (o.phase as (typeof VM_PHASES)[number]) : 'Unknown';
  if (o.node !== '') out.node = o.node;
  if (o.observedGeneration > 0) out.observedGeneration = o.observedGeneration;
  // `?? []`: a VmObserved built in code (not decoded) may lack the field.
  const reported = o.interfaces ?? [];
  if (reported.length > 0) out.interfaces = reported.slice(0, 32).map(statusInterface);
  // status.ips: the agent's list; an agent that sends only interfaces gets it derived (IPv4s, then IPv6s).
  const ips = o.ips.length > 0 ? o.ips : [...new Set([...(out.interfaces ?? []).flatMap((i) => (i.ipv4 ? [i.ipv4] : [])), ...(out.interfaces ?? []).flatMap((i) => i.ipv6 ?? [])])];
  if (ips.length > 0) out.ips = ips.slice(0, 64);
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
