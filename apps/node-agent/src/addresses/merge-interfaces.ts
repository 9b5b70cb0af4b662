/**
 * A VM's interfaces from what this node knows (pure): per NIC, the address the guest agent
 * reports, else the node's DHCP lease for its MAC, else the controller's reservation. The
 * source says which one gave the IPv4 (VirtualMachine status.interfaces[].source).
 */
import type { InterfaceObservation, VmObservation } from '@hvs/domain';
import type { GuestNic } from '../hypervisor';
import type { DhcpLease } from './dnsmasq-leases';

/** One NIC of the VM: what the controller bound (NicBinding) or, without bindings, what the spec says. */
export interface VmNic {
  name: string;
  network: string;
  /** '' when not known here (no binding, none in the spec): such a NIC is not reported (status needs a MAC). */
  mac: string;
  /** The reserved address; '' on a Network without IPAM (bridge mode). */
  ipv4: string;
  dnsName: string;
}

export interface AddressSources {
  /** This VM's NICs, in spec order. */
  nics: readonly VmNic[];
  /** Valid leases per Network name (the node's dnsmasq for that Network). */
  leases: ReadonlyMap<string, readonly DhcpLease[]>;
  /** The guest agent's answer; undefined when it did not answer (not running, no agent in the guest). */
  guest: readonly GuestNic[] | undefined;
}

/** Longest-lived first (0 = infinite), so a renewed lease beats the stale line of an older one. */
const byExpiry = (a: DhcpLease, b: DhcpLease): number => (b.expiresAt === 0 ? Infinity : b.expiresAt) - (a.expiresAt === 0 ? Infinity : a.expiresAt);

/** Link-local IPv4 (169.254/16) says only that DHCP failed: never a VM's address. */
const usableV4 = (ip: string): boolean => !ip.startsWith('169.254.') && !ip.startsWith('127.');

export function mergeInterfaces(s: AddressSources): InterfaceObservation[] {
  return s.nics.filter((nic) => nic.mac !== '').map((nic) => {
    const mac = nic.mac.toLowerCase();
    const out: InterfaceObservation = { name: nic.name, mac, network: nic.network };
    const guest = s.guest?.find((g) => g.mac === mac);
    const leases = [...(s.leases.get(nic.network) ?? [])].filter((l) => l.mac === mac).sort(byExpiry);
    const guestV4 = guest?.ipv4.find(usableV4);
    const leaseV4 = leases.find((l) => l.ipv4 !== undefined)?.ipv4;
    if (guestV4 !== undefined) Object.assign(out, { ipv4: guestV4, source: 'guest-agent' });
    else if (leaseV4 !== undefined) Object.assign(out, { ipv4: leaseV4, source: 'lease' });
    else if (nic.ipv4 !== '') Object.assign(out, { ipv4: nic.ipv4, source: 'reservation' });
    // IPv6: the guest knows all of them (SLAAC too); without it, the DHCPv6 leases.
    const ipv6 = guest !== undefined ? guest.ipv6 : [...new Set(leases.flatMap((l) => (l.ipv6 ? [l.ipv6] : [])))];
    if (ipv6.length > 0) {
      out.ipv6 = ipv6.slice(0, 16);
      if (out.source === undefined) out.source = guest !== undefined ? 'guest-agent' : 'lease';
    }
    if (nic.dnsName !== '') out.dnsName = nic.dnsName;
    return out;
  });
}

/** VmObservation.ips: the distinct IPv4s of all NICs, then their IPv6s. */
export function addressesOf(interfaces: readonly InterfaceObservation[]): string[] {
  const v4 = interfaces.flatMap((i) => (i.ipv4 ? [i.ipv4] : []));
  const v6 = interfaces.flatMap((i) => i.ipv6 ?? []);
  return [...new Set([...v4, ...v6])];
}

/**
 * `obs` carrying `interfaces` (left out when empty) and the `ips` they give. Every publisher of a
 * VM goes through this, so equal observations serialise equally (ObservedState.set compares JSON):
 * `ips` keeps its place, `interfaces` always comes last.
 */
export function withInterfaces(obs: VmObservation, interfaces: InterfaceObservation[]): VmObservation {
  const next: VmObservation = { ...obs, ips: addressesOf(interfaces) };
  delete next.interfaces;
  if (interfaces.length > 0) next.interfaces = interfaces;
  return next;
}
