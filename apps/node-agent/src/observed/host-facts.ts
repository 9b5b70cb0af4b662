import { release } from 'node:os';
import type { v1 } from '@hvs/proto';
import type { HostFacts } from '../hypervisor';

export interface PoolUsage {
  name: string;
  path: string;
  capacityBytes: number;
  availableBytes: number;
  active: boolean;
}

function pageSize(kib: number): string {
  if (kib % (1024 * 1024) === 0) return `${kib / (1024 * 1024)}GiB`;
  if (kib % 1024 === 0) return `${kib / 1024}MiB`;
  return `${kib}KiB`;
}

/** The driver's host facts plus pool usage, as the proto HostFacts sent on RegisterNode and in snapshots. */
export function toProtoHostFacts(f: HostFacts, pools: PoolUsage[], agentVersion: string): v1.HostFacts {
  return {
    hostname: f.hostname,
    cpus: f.cpus,
    memoryBytes: f.memoryBytes,
    hugepages: f.hugepages.map((h) => ({ pageSize: pageSize(h.pageSizeKiB), total: h.total, free: h.free })),
    kvmUsable: f.kvmUsable,
    hypervisorMode: f.mode,
    libvirtUri: f.uri,
    pciDevices: f.pciDevices.map((d) => ({
      pciAddress: d.address, vendorDevice: `${d.vendor}:${d.device}`, iommuGroup: d.iommuGroup ?? -1, description: `class ${d.class}`, driver: d.driver ?? '',
    })),
    iommuGroups: Object.entries(f.iommuGroups).map(([id, addrs]) => ({ id: Number(id), pciAddresses: addrs })),
    pools: pools.map((p) => ({ name: p.name, path: p.path, type: 'dir', capacityBytes: p.capacityBytes, availableBytes: p.availableBytes, active: p.active })),
    agentVersion,
    cpuModel: '',
    kernel: release(),
    numaCells: 0,
  };
}
