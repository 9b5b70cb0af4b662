import type { Node } from '../../src/kinds/node';
import type { VirtualMachine, VirtualMachineSpec } from '../../src/kinds/vm';

export const GiB = 1024 ** 3;

export interface VmOpts {
  cores?: number;
  memory?: string;
  labels?: Record<string, string>;
  placement?: VirtualMachineSpec['placement'];
  disks?: VirtualMachineSpec['disks'];
  cdrom?: VirtualMachineSpec['cdrom'];
  hostdevs?: NonNullable<VirtualMachineSpec['devices']>['hostdevs'];
}

export function vm(name: string, o: VmOpts = {}): VirtualMachine {
  return {
    apiVersion: 'hvs/v1',
    kind: 'VirtualMachine',
    metadata: { name, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      cpu: { cores: o.cores ?? 2 },
      memory: { size: o.memory ?? '4GiB' },
      disks: o.disks ?? [{ name: 'root', size: '10GiB' }],
      networks: [],
      runState: 'Running',
      ...(o.cdrom ? { cdrom: o.cdrom } : {}),
      ...(o.placement ? { placement: o.placement } : {}),
      ...(o.hostdevs ? { devices: { hostdevs: o.hostdevs } } : {}),
    },
  };
}

export interface NodeOpts {
  cpus?: number;
  memoryGiB?: number;
  allocatable?: { cpus: number; memoryBytes: number };
  ready?: 'True' | 'False' | 'Unknown' | 'missing';
  readyReason?: string;
  cordoned?: boolean;
  maintenance?: boolean;
  labels?: Record<string, string>;
  overcommit?: { cpu?: number; memory?: number };
  pools?: string[];
  devices?: { pciAddress: string; vendorDevice: string }[];
  noCapacity?: boolean;
}

export function node(name: string, o: NodeOpts = {}): Node {
  const ready = o.ready ?? 'True';
  return {
    apiVersion: 'hvs/v1',
    kind: 'Node',
    metadata: { name, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      ...(o.cordoned ? { cordoned: true } : {}),
      ...(o.maintenance ? { maintenance: true } : {}),
      ...(o.overcommit ? { overcommit: o.overcommit } : {}),
    },
    status: {
      ...(o.noCapacity ? {} : { capacity: { cpus: o.cpus ?? 8, memoryBytes: (o.memoryGiB ?? 32) * GiB } }),
      ...(o.allocatable ? { allocatable: o.allocatable } : {}),
      ...(ready === 'missing' ? {} : { conditions: [{ type: 'Ready', status: ready, ...(o.readyReason ? { reason: o.readyReason } : {}) }] }),
      ...(o.pools ? { pools: o.pools.map((p) => ({ name: p })) } : {}),
      ...(o.devices ? { devices: o.devices } : {}),
    },
  };
}
