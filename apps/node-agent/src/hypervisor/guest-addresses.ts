/**
 * The addresses a running guest reports through qemu-guest-agent (`virsh domifaddr DOMAIN
 * --source agent`): an optional driver ability (Nomad style). LibvirtDriver on a real libvirtd
 * has it; on the test driver a virsh child would see its own empty state (and libvirt's test
 * driver answers every source, agent included, with a made-up 192.168.122.x for its own
 * sample domain), so it is absent there. FakeHypervisorDriver has it with a knob.
 *
 * Needs the guest-agent channel in the domain XML (libs/domain xml/devices.ts renders it for
 * every VM) and qemu-guest-agent running in the guest; without them libvirt answers with an
 * error (HVS-LIBVIRT-*), which callers treat as "no answer".
 */
import { parseIPv4, parseIPv6 } from '@hvs/domain';
import type { HypervisorDriver } from './driver';

/** One guest NIC as the guest agent sees it. */
export interface GuestNic {
  /** The guest's name for it (`eth0`, `ens3`). */
  name: string;
  /** Lower-case MAC; matches the NIC's MAC in the domain XML. */
  mac: string;
  ipv4: string[];
  ipv6: string[];
}

export interface GuestAddressReading {
  /** The guest agent's interfaces of a running domain. Throws HvsError when the agent does not answer. */
  guestAddresses(name: string): Promise<GuestNic[]>;
}

export function readsGuestAddresses(d: HypervisorDriver): d is HypervisorDriver & GuestAddressReading {
  return d.abilities.has('guest-addresses') && typeof (d as Partial<GuestAddressReading>).guestAddresses === 'function';
}

/** `virsh domifaddr` arguments: the guest agent as source, every line with its name and MAC. */
export function domifaddrArgs(name: string): string[] {
  return ['domifaddr', name, '--source', 'agent', '--full'];
}

const MAX_NICS = 64;
const MAX_PER_NIC = 16;

/**
 * `virsh -q domifaddr --full` output: ` <name> <mac> <ipv4|ipv6> <address>/<prefix>` a line.
 * Loopback (`lo`, MAC 00:00:00:00:00:00) is left out, so are malformed addresses (the guest
 * writes this answer); at most 64 NICs of 16 addresses per family.
 */
export function parseDomifaddr(text: string): GuestNic[] {
  const byKey = new Map<string, GuestNic>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(f[1])) continue;
    const mac = f[1].toLowerCase();
    if (mac === '00:00:00:00:00:00') continue;
    const key = `${f[0]} ${mac}`;
    if (!byKey.has(key) && byKey.size >= MAX_NICS) continue;
    const nic = byKey.get(key) ?? { name: f[0].slice(0, 64), mac, ipv4: [], ipv6: [] };
    byKey.set(key, nic);
    // The guest says what it likes: only well-formed addresses, and not too many, reach the VM status.
    const address = f[3].split('/')[0].toLowerCase();
    if (f[2] === 'ipv4' && parseIPv4(address) !== undefined && nic.ipv4.length < MAX_PER_NIC) nic.ipv4.push(address);
    else if (f[2] === 'ipv6' && parseIPv6(address) !== undefined && nic.ipv6.length < MAX_PER_NIC) nic.ipv6.push(address);
  }
  return [...byKey.values()];
}
