import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { kvmUsable } from '@hvs/host';
import type { HostFacts, PciDevice } from './driver';

/**
 * What the host offers beyond CPU and memory, read from /sys and /proc. Every part tolerates
 * absence (containers, machines without IOMMU): it then reports empty lists, never throws.
 */
export type HostHardware = Pick<HostFacts, 'hugepages' | 'kvmUsable' | 'pciDevices' | 'iommuGroups'>;

async function text(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function entries(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}

export async function readHostHardware(sysRoot = '/sys', devKvm = '/dev/kvm', cpuinfo = '/proc/cpuinfo'): Promise<HostHardware> {
  const iommuGroups: Record<number, string[]> = {};
  const groupOf = new Map<string, number>();
  for (const g of await entries(join(sysRoot, 'kernel/iommu_groups'))) {
    const devices = await entries(join(sysRoot, 'kernel/iommu_groups', g, 'devices'));
    iommuGroups[Number(g)] = devices.sort();
    for (const d of devices) groupOf.set(d, Number(g));
  }

  const pciDevices: PciDevice[] = [];
  const pciRoot = join(sysRoot, 'bus/pci/devices');
  for (const address of (await entries(pciRoot)).sort()) {
    const dir = join(pciRoot, address);
    let driver: string | undefined;
    try {
      driver = basename(await readlink(join(dir, 'driver')));
    } catch {
      driver = undefined;
    }
    pciDevices.push({
      address,
      vendor: ((await text(join(dir, 'vendor'))) ?? '').replace(/^0x/, ''),
      device: ((await text(join(dir, 'device'))) ?? '').replace(/^0x/, ''),
      class: ((await text(join(dir, 'class'))) ?? '').replace(/^0x/, ''),
      ...(driver ? { driver } : {}),
      ...(groupOf.has(address) ? { iommuGroup: groupOf.get(address) } : {}),
    });
  }

  const hugepages: HostFacts['hugepages'] = [];
  const hpRoot = join(sysRoot, 'kernel/mm/hugepages');
  for (const dir of (await entries(hpRoot)).sort()) {
    const m = /^hugepages-(\d+)kB$/.exec(dir);
    if (!m) continue;
    hugepages.push({
      pageSizeKiB: Number(m[1]),
      total: Number(await text(join(hpRoot, dir, 'nr_hugepages'))) || 0,
      free: Number(await text(join(hpRoot, dir, 'free_hugepages'))) || 0,
    });
  }

  return { hugepages, kvmUsable: await kvmUsable(devKvm, cpuinfo), pciDevices, iommuGroups };
}
