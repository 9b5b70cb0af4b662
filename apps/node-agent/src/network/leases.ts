/**
 * dnsmasq's lease file of a Network on this node (`<stateDir>/networks/<network>/dnsmasq.leases`),
 * for the guest-address work. Format, one lease a line: `<expiry epoch s> <mac> <ip> <hostname|*> <client-id|*>`
 * (expiry 0: never expires). IPv6 lines and the `duid` line are skipped.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isIp, isMac } from '@hvs/domain';
import { DNSMASQ_FILES } from './dnsmasq-config';
import { networkDir } from './plan';

export interface Lease {
  mac: string;
  ip: string;
  /** Empty when the guest sent none. */
  hostname: string;
  /** RFC 3339; undefined for an infinite lease. */
  expiresAt?: string;
}

export function parseLeases(text: string): Lease[] {
  const out: Lease[] = [];
  for (const line of text.split('\n')) {
    const [expiry, mac, ip, hostname] = line.trim().split(/\s+/);
    if (!expiry || !/^[0-9]+$/.test(expiry) || !isMac(mac) || !isIp(ip) || ip.includes(':')) continue;
    const s = Number(expiry);
    out.push({ mac: mac.toLowerCase(), ip, hostname: hostname && hostname !== '*' ? hostname : '', ...(s > 0 ? { expiresAt: new Date(s * 1000).toISOString() } : {}) });
  }
  return out;
}

/** `leases(network)` for this agent's state dir; a Network without a lease file has none. */
export function leaseReader(stateDir: string): (network: string) => Promise<Lease[]> {
  return async (network) => {
    try {
      return parseLeases(await readFile(join(networkDir(stateDir, network), DNSMASQ_FILES.leases), 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  };
}
