import type { v1 } from '@hvs/proto';
import { confinementOf } from '../hypervisor';
import type { HostReport } from '../observed/host-report';

function pageSize(kib: number): string {
  if (kib % (1024 * 1024) === 0) return `${kib / (1024 * 1024)}GiB`;
  if (kib % 1024 === 0) return `${kib / 1024}MiB`;
  return `${kib}KiB`;
}

/** HostReport -> the wire HostFacts sent on RegisterNode and in Watch snapshots; `nodeName` stands in for an empty hostname. */
export function toWireHostFacts(r: HostReport, nodeName: string): v1.HostFacts {
  const f = r.facts;
  return {
    hostname: f.hostname || nodeName,
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
    pools: r.pools.map((p) => ({ name: p.name, path: p.path, type: 'dir', capacityBytes: p.capacityBytes, availableBytes: p.availableBytes, active: p.active })),
    agentVersion: r.agentVersion,
    cpuModel: '',
    kernel: r.kernel,
    numaCells: 0,
    securityModels: f.security?.libvirtModels ?? [],
    apparmorEnabled: f.security?.apparmorEnabled ?? false,
    confinement: confinementOf(f.security, f.mode).model ?? '',
    ipv4Routes: r.ipv4Routes ?? [],
  };
}
