/**
 * Deterministic names and identifiers derived from a VM, so that re-rendering after a crash, on
 * another host or after a controller restart gives the same domain, the same disk files, the same
 * MACs and the same tap devices (DESIGN.md §3: names are deterministic).
 */
import type { VirtualMachine } from '../kinds/vm';
import { cloudInitSeedName, domainName, volumeName } from '../naming';
import { xmlError } from './host-facts';

const UID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The VM's stable identity: metadata.uid, or its name for objects not yet stored (previews). */
export function vmIdentity(vm: VirtualMachine): string {
  const uid = vm.metadata.uid;
  if (uid === undefined || uid === '') return vm.metadata.name;
  if (!UID.test(uid)) {
    throw xmlError('HVS-XML-UID-INVALID', 'InvalidArgument', 'metadata.uid',
      `metadata.uid ${JSON.stringify(uid)} cannot be part of a libvirt domain name`,
      'the domain and its disk files are named hvs-<uid>, so the uid may hold only letters, digits, ".", "_" and "-"',
      'let the controller assign metadata.uid (leave it out of the manifest)');
  }
  return uid;
}

/** The VM's libvirt domain name (libs/domain/src/naming.ts), `hvs-<name>` before it has a uid. */
export function vmDomainName(vm: VirtualMachine): string {
  return domainName(vmIdentity(vm));
}

/** The `<uuid>` of the domain: metadata.uid when it is a UUID, else none (libvirt generates one). */
export function domainUuid(vm: VirtualMachine): string | undefined {
  const uid = vm.metadata.uid;
  return uid !== undefined && UUID.test(uid) ? uid.toLowerCase() : undefined;
}

/** File name of a VM disk inside its pool when the disk names no path (naming.ts volumeName). */
export function diskFileName(vm: VirtualMachine, diskName: string, format: 'qcow2' | 'raw'): string {
  return volumeName(vmIdentity(vm), diskName, format);
}

/** File name of the VM's cloud-init seed ISO (naming.ts cloudInitSeedName). */
export function seedFileName(vm: VirtualMachine): string {
  return cloudInitSeedName(vmIdentity(vm));
}

/**
 * MAC for NIC `index` when the manifest gives none: QEMU/KVM's locally administered prefix
 * 52:54:00 plus 24 bits of FNV-1a over "<identity>/<index>". libvirt would otherwise invent a
 * random MAC on every define, which changes DHCP leases and firewall matches.
 */
export function defaultMac(vm: VirtualMachine, index: number): string {
  const h = fnv1a(`${vmIdentity(vm)}/nic/${index}`);
  const bytes = [(h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff];
  return ['52', '54', '00', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/**
 * Host-side tap device of NIC `index`: `hvs<8 hex>i<index>` (at most 15 bytes, the kernel's
 * IFNAMSIZ limit, for up to 100 NICs). The firewall matches on it; libvirt keeps a non-`vnet`
 * name across restarts.
 */
export function tapName(vm: VirtualMachine, index: number): string {
  return `hvs${fnv1a(vmIdentity(vm)).toString(16).padStart(8, '0')}i${index}`;
}

/** libvirt target names: 0 -> a, 25 -> z, 26 -> aa (same scheme as libvirt's own). */
export function diskLetters(index: number): string {
  let n = index;
  let out = '';
  do {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return out;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(s)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
