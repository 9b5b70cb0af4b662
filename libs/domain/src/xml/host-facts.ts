/**
 * What the renderer needs to know about the host a VM lands on. The node agent builds it from its
 * configuration and libvirt (pools, networks, cached images, OVMF files); the renderer stays pure.
 */
import { HvsError, type ErrorCategory } from '../errors';

export interface HostFacts {
  /** `kvm` in production, `qemu` (TCG) where /dev/kvm cannot run guests (tests). */
  domainType: 'kvm' | 'qemu';
  arch?: 'x86_64';
  /** QEMU machine type; default `q35` (needed for Secure Boot's SMM and PCIe passthrough). */
  machine?: string;
  /** Absolute path of the QEMU binary; left out, libvirt picks its default. */
  emulator?: string;
  /** StoragePool name -> its directory on this host. */
  pools: Record<string, { path: string }>;
  /** Network name -> how it is realised on this host: a Linux bridge or a libvirt network. */
  networks: Record<string, { bridge?: string; libvirtNetwork?: string; mtu?: number; vlan?: number }>;
  /** Image name -> the verified local copy (for ISOs attached as cdrom). */
  images?: Record<string, { path: string; format: 'qcow2' | 'raw' | 'iso' }>;
  /** Explicit OVMF files; left out, UEFI uses libvirt firmware auto-selection (`<os firmware='efi'>`). */
  ovmf?: { code: string; vars: string };
  /** Default listen address for VNC/SPICE when the VM names none; default 127.0.0.1. */
  consoleListen?: string;
  /**
   * PCI devices of this host (NodeStatus.devices), used to resolve a hostdev given only by
   * `vendorDevice`. Left out, such a hostdev is an error.
   */
  pciDevices?: { pciAddress: string; vendorDevice: string }[];
  /**
   * The mandatory access control model libvirt confines guests with on this host (its
   * capabilities' `<secmodel>`): the domain then gets `<seclabel type='dynamic' model=...
   * relabel='yes'/>`, a per-VM AppArmor profile or SELinux label. Left out: no MAC model
   * (libvirt's DAC ownership still applies), and no `<seclabel>` is rendered.
   */
  securityModel?: SecurityModel;
}

/** The MAC models the agent asks libvirt to confine a guest with (sVirt). */
export type SecurityModel = 'apparmor' | 'selinux';

export function xmlError(
  code: string,
  category: ErrorCategory,
  path: string,
  message: string,
  why: string,
  fix: string,
): HvsError {
  return new HvsError({ code, category, path, message, why, fix });
}

/**
 * `pool` + `relative`, refusing anything that could leave the pool directory: NUL, `..` segments,
 * or an absolute path outside the pool. `.` and empty segments are dropped so equal inputs give
 * equal paths (and equal XML).
 */
export function resolveInPool(poolName: string, poolPath: string, relative: string, field: string): string {
  const escapes = (why: string) =>
    xmlError('HVS-XML-PATH-ESCAPES', 'InvalidArgument', field,
      `path ${JSON.stringify(relative)} does not stay inside pool "${poolName}" (${poolPath})`, why,
      'give a path relative to the pool directory, without ".." segments');
  if (relative.includes('\0')) throw escapes('it contains a NUL character');
  const root = normalise(poolPath);
  let rest = relative;
  if (relative.startsWith('/')) {
    const abs = normalise(relative);
    if (abs !== root && !abs.startsWith(root === '/' ? '/' : `${root}/`)) throw escapes('it is absolute and outside the pool');
    rest = abs.slice(root.length);
  }
  const segments = rest.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw escapes('it contains a ".." segment');
  if (segments.length === 0) throw escapes('it names the pool directory itself, not a file');
  return `${root === '/' ? '' : root}/${segments.join('/')}`;
}

function normalise(p: string): string {
  const segments = p.split('/').filter((s) => s !== '' && s !== '.');
  return `/${segments.join('/')}`;
}
