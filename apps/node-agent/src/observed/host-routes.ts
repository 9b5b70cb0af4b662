/**
 * The host's own IPv4 routes and addresses (HostFacts.ipv4_routes): the controller refuses a
 * Network subnet that overlaps one (HVS-NET-SUBNET-HOST-CONFLICT). Read with `ip -j -4 route`
 * and `ip -j -4 addr`; the default route and our own Network devices (hvs-*, hvx-*) are left
 * out (they are not the host's, and a Network must not conflict with itself). Best effort: a
 * host without iproute2's JSON output reports nothing rather than failing registration.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface RouteEntry { dst?: string; dev?: string }
interface AddrEntry { ifname?: string; addr_info?: { family?: string; local?: string; prefixlen?: number }[] }

const ours = (dev: string | undefined) => dev !== undefined && (dev.startsWith('hvs-') || dev.startsWith('hvx-'));

/** CIDRs from the JSON of `ip -j -4 route` and `ip -j -4 addr`, sorted, without duplicates. */
export function parseIpv4Routes(routeJson: string, addrJson: string): string[] {
  const out = new Set<string>();
  for (const r of JSON.parse(routeJson || '[]') as RouteEntry[]) {
    if (!r.dst || r.dst === 'default' || ours(r.dev)) continue;
    out.add(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
  }
  for (const l of JSON.parse(addrJson || '[]') as AddrEntry[]) {
    if (l.ifname === 'lo' || ours(l.ifname)) continue;
    for (const a of l.addr_info ?? []) if (a.family === 'inet' && a.local) out.add(`${a.local}/32`);
  }
  return [...out].sort();
}

export async function readIpv4Routes(): Promise<string[]> {
  try {
    const [routes, addrs] = await Promise.all([run('ip', ['-j', '-4', 'route']), run('ip', ['-j', '-4', 'addr'])]);
    return parseIpv4Routes(routes.stdout, addrs.stdout);
  } catch {
    return [];
  }
}
