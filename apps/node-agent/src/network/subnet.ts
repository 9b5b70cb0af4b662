/** IPv4 arithmetic for plans (subnets are validated by the Network schema before they get here). */
import { parseIPv4 } from '@hvs/domain';

export function ipv4ToInt(ip: string): number {
  const o = parseIPv4(ip);
  if (!o) throw new Error(`not an IPv4 address: ${ip}`);
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `10.0.0.0/24` -> network address, prefix length and dotted netmask. */
export function splitSubnet(subnet: string): { base: string; prefix: number; netmask: string } {
  const [base, p] = subnet.split('/') as [string, string];
  const prefix = Number(p);
  return { base, prefix, netmask: intToIpv4(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0) };
}

