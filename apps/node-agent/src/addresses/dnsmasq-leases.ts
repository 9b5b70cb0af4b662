/**
 * dnsmasq's lease file (`--dhcp-leasefile`, one per Network on a node:
 * `<stateDir>/networks/<network>/dnsmasq.leases`, written by dnsmasq, read here only).
 *
 * Format (dnsmasq's lease.c): one lease a line,
 *   IPv4: `<expiry> <mac> <ipv4> <hostname|*> <client-id|*>`
 *   then, when DHCPv6 ran, a line `duid <server duid>` followed by
 *   IPv6: `<expiry> <iaid> <ipv6> <hostname|*> <client duid>`
 * `<expiry>` is epoch seconds, 0 for an infinite lease. An IPv6 lease names no MAC; it is tied
 * to one only when the client's DUID embeds it (DUID-LLT type 1 or DUID-LL type 3 over Ethernet),
 * which is what a guest's DHCPv6 client sends by default on most distributions.
 *
 * Kept to the guest-address work: the net-agent's network/ code writes the file (through
 * dnsmasq); if it grows its own reader, one of the two goes (see the report of this branch).
 */
import { readFile } from 'node:fs/promises';
import { parseIPv4, parseIPv6 } from '@hvs/domain';

export interface DhcpLease {
  /** Lower-case `aa:bb:cc:dd:ee:ff`. */
  mac: string;
  ipv4?: string;
  ipv6?: string;
  /** The name the client sent; undefined for `*`. */
  hostname?: string;
  /** Epoch seconds; 0: never expires. */
  expiresAt: number;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The MAC inside a DUID-LLT (00:01:00:01 + 4 time bytes + MAC) or DUID-LL (00:03:00:01 + MAC); else undefined. */
export function macOfDuid(duid: string): string | undefined {
  const b = duid.toLowerCase().split(':');
  if (b.some((x) => !/^[0-9a-f]{2}$/.test(x))) return undefined;
  if (b[0] === '00' && b[1] === '01' && b[2] === '00' && b[3] === '01' && b.length === 14) return b.slice(8).join(':');
  if (b[0] === '00' && b[1] === '03' && b[2] === '00' && b[3] === '01' && b.length === 10) return b.slice(4).join(':');
  return undefined;
}

/**
 * The leases of `text` still valid at `nowSec` (an expired line is a lease dnsmasq has not
 * rewritten the file for yet). Lines it cannot read (a torn write, the `duid` line, an IPv6
 * lease whose DUID names no MAC) are skipped, never thrown on: the file belongs to dnsmasq.
 */
export function parseLeases(text: string, nowSec: number): DhcpLease[] {
  const out: DhcpLease[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[0] === 'duid' || !/^\d+$/.test(f[0])) continue;
    const expiresAt = Number(f[0]);
    if (expiresAt !== 0 && expiresAt <= nowSec) continue;
    const hostname = f[3] === '*' ? undefined : f[3];
    const mac = f[1].toLowerCase();
    const ip = f[2];
    if (MAC.test(mac) && parseIPv4(ip) !== undefined) {
      out.push({ mac, ipv4: ip, expiresAt, ...(hostname ? { hostname } : {}) });
    } else if (parseIPv6(ip) !== undefined) {
      const duidMac = f[4] !== undefined ? macOfDuid(f[4]) : undefined;
      if (duidMac !== undefined) out.push({ mac: duidMac, ipv6: ip.toLowerCase(), expiresAt, ...(hostname ? { hostname } : {}) });
    }
  }
  return out;
}

/** The file's leases; none when it does not exist yet (dnsmasq writes it at its first lease). */
export async function readLeases(path: string, nowSec: number): Promise<DhcpLease[]> {
  try {
    return parseLeases(await readFile(path, 'utf8'), nowSec);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
