/**
 * `<disk>` elements for spec.disks, spec.cdrom and the cloud-init seed, plus the virtio-scsi
 * controller when anything sits on the scsi bus.
 *
 * Guarantees: every disk names its format explicitly (`<driver type='qcow2'|'raw'>`, never
 * probed: a probed raw image could claim to be qcow2 and point at host files); every file path
 * lies inside its pool's directory; target names are stable for a given spec (virtio -> vdX in
 * disk order; sata and scsi share sdX: disks first, then the cdrom; the cloud-init seed is the last vdX).
 */
import type { VirtualMachine } from '../kinds/vm';
import { el, type XmlElement } from './builder';
import { type HostFacts, resolveInPool, xmlError } from './host-facts';
import { diskFileName, diskLetters, seedFileName } from './naming';

/** The pool of a disk, cdrom or kernel that names none. */
export const DEFAULT_POOL = 'default';

export function renderDisks(vm: VirtualMachine, host: HostFacts): XmlElement[] {
  const spec = vm.spec;
  let vd = 0;
  let sd = 0;
  const nextTarget = (bus: 'virtio' | 'scsi' | 'sata') => (bus === 'virtio' ? `vd${diskLetters(vd++)}` : `sd${diskLetters(sd++)}`);

  const explicit = spec.disks.map((d) => d.boot).filter((b): b is number => b !== undefined);
  checkBootOrders(vm);
  // No explicit order: boot the first disk, then fall through to the cdrom (installs from ISO).
  const firstDiskBoots = explicit.length === 0 && spec.disks.length > 0;
  const cdromBoot = explicit.length === 0 ? (firstDiskBoots ? 2 : 1) : Math.max(...explicit) + 1;

  const out: XmlElement[] = spec.disks.map((d, i) => {
    const field = `spec.disks[${i}]`;
    const format = d.format ?? 'qcow2';
    const bus = d.bus ?? 'virtio';
    const poolName = d.pool ?? DEFAULT_POOL;
    const pool = lookupPool(host, poolName, `${field}.pool`);
    const file = resolveInPool(poolName, pool.path, d.path ?? diskFileName(vm, d.name, format), `${field}.path`);
    const boot = d.boot ?? (firstDiskBoots && i === 0 ? 1 : undefined);
    return el('disk', { type: 'file', device: 'disk' },
      el('driver', { name: 'qemu', type: format, discard: 'unmap' }),
      el('source', { file }),
      el('target', { dev: nextTarget(bus), bus }),
      boot !== undefined && el('boot', { order: boot }));
  });

  const cdrom = spec.cdrom;
  if (cdrom !== undefined) {
    const bus = cdrom.bus ?? 'sata';
    const file = cdromFile(cdrom, host);
    out.push(el('disk', { type: 'file', device: 'cdrom' },
      el('driver', { name: 'qemu', type: 'raw' }),
      file !== undefined && el('source', { file }),
      el('target', { dev: nextTarget(bus), bus }),
      el('readonly'),
      file !== undefined && el('boot', { order: cdromBoot })));
  }

  // A read-only virtio disk, not a SATA cdrom: Debian's cloud kernels (linux-image-cloud-amd64,
  // as in its genericcloud images and scripts/guest-image) have no AHCI driver, so on q35 they
  // never see a SATA drive. NoCloud finds the seed by its `cidata` label on any block device.
  const seed = cloudInitSeedPath(vm, host);
  if (seed !== undefined) {
    out.push(el('disk', { type: 'file', device: 'disk' },
      el('driver', { name: 'qemu', type: 'raw' }),
      el('source', { file: seed }),
      el('target', { dev: nextTarget('virtio'), bus: 'virtio' }),
      el('readonly')));
  }
  return out;
}

export function renderScsiController(vm: VirtualMachine): XmlElement | undefined {
  const scsi = vm.spec.disks.some((d) => d.bus === 'scsi') || vm.spec.cdrom?.bus === 'scsi';
  return scsi ? el('controller', { type: 'scsi', index: 0, model: 'virtio-scsi' }) : undefined;
}

/**
 * Where the node agent must write the NoCloud seed ISO (volume label `cidata`) for a VM with
 * spec.cloudInit: `hvs-<uid>-cidata.iso` in the pool of the first disk. The user data itself never
 * enters the domain XML (it may hold secrets). Undefined when the VM has no cloudInit.
 */
export function cloudInitSeedPath(vm: VirtualMachine, host: HostFacts): string | undefined {
  if (vm.spec.cloudInit === undefined) return undefined;
  const poolName = vm.spec.disks[0]?.pool ?? DEFAULT_POOL;
  const pool = lookupPool(host, poolName, vm.spec.disks.length > 0 ? 'spec.disks[0].pool' : 'spec.cloudInit');
  return resolveInPool(poolName, pool.path, seedFileName(vm), 'spec.cloudInit');
}

function cdromFile(cdrom: NonNullable<VirtualMachine['spec']['cdrom']>, host: HostFacts): string | undefined {
  if (cdrom.image !== undefined) {
    const image = host.images?.[cdrom.image];
    if (image === undefined || !Object.hasOwn(host.images ?? {}, cdrom.image)) {
      throw xmlError('HVS-XML-IMAGE-UNKNOWN', 'FailedPrecondition', 'spec.cdrom.image',
        `image "${cdrom.image}" is not available on this host`,
        'the cdrom is attached from the verified local copy of the Image, and this host has none',
        `check \`hvctl get image ${cdrom.image}\` (it must exist and be verified); the node agent downloads it before starting the VM`);
    }
    if (image.format === 'qcow2') {
      throw xmlError('HVS-XML-IMAGE-FORMAT', 'InvalidArgument', 'spec.cdrom.image',
        `image "${cdrom.image}" is qcow2 and cannot be a cdrom`,
        'a cdrom is a raw read-only medium (an ISO or raw image)', 'attach a qcow2 image as a disk (spec.disks[].image) instead');
    }
    return image.path;
  }
  if (cdrom.path !== undefined) {
    const poolName = cdrom.pool ?? DEFAULT_POOL;
    return resolveInPool(poolName, lookupPool(host, poolName, 'spec.cdrom.pool').path, cdrom.path, 'spec.cdrom.path');
  }
  return undefined; // an empty drive: media can be inserted later
}

export function lookupPool(host: HostFacts, name: string, field: string): { path: string } {
  const pool = Object.hasOwn(host.pools, name) ? host.pools[name] : undefined;
  if (pool === undefined) {
    throw xmlError('HVS-XML-POOL-UNKNOWN', 'FailedPrecondition', field,
      `storage pool "${name}" does not exist on this host`,
      'disk files live in a StoragePool directory and the host facts list no pool of that name',
      `create it (\`hvctl apply\` a StoragePool named "${name}" that covers this node) or pick an existing pool`);
  }
  return pool;
}

function checkBootOrders(vm: VirtualMachine): void {
  const seen = new Map<number, number>();
  vm.spec.disks.forEach((d, i) => {
    if (d.boot === undefined) return;
    if (!Number.isInteger(d.boot) || d.boot < 1) {
      throw xmlError('HVS-XML-BOOT-ORDER-INVALID', 'InvalidArgument', `spec.disks[${i}].boot`,
        `boot order ${d.boot} is not a positive whole number`, 'libvirt boot orders start at 1', 'use 1 for the first boot disk, 2 for the next...');
    }
    const other = seen.get(d.boot);
    if (other !== undefined) {
      throw xmlError('HVS-XML-BOOT-ORDER-DUPLICATE', 'InvalidArgument', `spec.disks[${i}].boot`,
        `boot order ${d.boot} is used by disks ${other} and ${i}`, 'each bootable device needs its own boot order',
        'give every disk with boot a different number');
    }
    seen.set(d.boot, i);
  });
}
