/**
 * IPv4 arithmetic for IPAM, pure: addresses as unsigned 32-bit numbers, a Network's subnet,
 * gateway and reservable range. The schema (libs/domain kinds/network.ts) has already checked
 * that subnet, gateway and dhcp bounds are well-formed, and that gateway and range lie inside
 * the subnet (HVS-NET-GATEWAY-OUTSIDE / kind rules), so nothing here re-validates syntax.
 */
import type { NetworkSpec } from '@hvs/domain';

export function parseIpv4(text: string): number {
  const parts = text.split('.').map(Number);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Subnet {
  /** The network address. */
  base: number;
  prefix: number;
  /** The broadcast address (base for /32). */
  last: number;
}

export function parseSubnet(cidr: string): Subnet {
  const [ip, bits] = cidr.split('/');
  const prefix = Number(bits);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const base = (parseIpv4(ip!) & mask) >>> 0;
  return { base, prefix, last: (base + (2 ** (32 - prefix) - 1)) >>> 0 };
}

export function formatSubnet(s: Subnet): string {
  return `${formatIpv4(s.base)}/${s.prefix}`;
}

export function subnetsOverlap(a: Subnet, b: Subnet): boolean {
  return a.base <= b.last && b.base <= a.last;
}

export function subnetContains(s: Subnet, ip: number): boolean {
  return ip >= s.base && ip <= s.last;
}

/** Where VM addresses come from on one Network (nat/isolated/vxlan with a subnet). */
export interface AddressRange {
  subnet: Subnet;
  gateway: number | undefined;
  first: number;
  last: number;
}

/** The gateway a subnet gets by default: its first host (`10.88.3.1` of `10.88.3.0/24`). */
export function defaultGateway(subnet: Subnet): string {
  return formatIpv4(subnet.prefix >= 31 ? subnet.base : subnet.base + 1);
}

/** The reservable range: the dhcp range when given, else the subnet minus network and broadcast. */
export function rangeOf(spec: Pick<NetworkSpec, 'subnet' | 'gateway' | 'dhcp'>): AddressRange | undefined {
  if (!spec.subnet) return undefined;
  const subnet = parseSubnet(spec.subnet);
  const hostsOnly = subnet.prefix < 31;
  const first = spec.dhcp ? parseIpv4(spec.dhcp.start) : hostsOnly ? subnet.base + 1 : subnet.base;
  const last = spec.dhcp ? parseIpv4(spec.dhcp.end) : hostsOnly ? subnet.last - 1 : subnet.last;
  return { subnet, gateway: spec.gateway ? parseIpv4(spec.gateway) : undefined, first, last };
}

/** Why `ip` cannot be reserved on this range (undefined: it can, unless taken). */
export function unreservable(range: AddressRange, ip: number): string | undefined {
  if (!subnetContains(range.subnet, ip)) return `it is outside the subnet ${formatSubnet(range.subnet)}`;
  if (range.subnet.prefix < 31 && ip === range.subnet.base) return 'it is the network address of the subnet';
  if (range.subnet.prefix < 31 && ip === range.subnet.last) return 'it is the broadcast address of the subnet';
  if (ip === range.gateway) return "it is the Network's gateway";
  if (ip < range.first || ip > range.last) return `it is outside the DHCP range ${formatIpv4(range.first)}-${formatIpv4(range.last)}`;
  return undefined;
}

/** How many addresses the range can hand out (the gateway does not count). */
export function capacityOf(range: AddressRange): number {
  const size = range.last >= range.first ? range.last - range.first + 1 : 0;
  return size - (range.gateway !== undefined && range.gateway >= range.first && range.gateway <= range.last ? 1 : 0);
}

/** The lowest address of the range that is reservable and not in `taken`, or undefined when exhausted. */
export function lowestFree(range: AddressRange, taken: ReadonlySet<number>): number | undefined {
  for (let ip = range.first; ip <= range.last; ip++) {
    if (!taken.has(ip) && unreservable(range, ip) === undefined) return ip;
  }
  return undefined;
}
