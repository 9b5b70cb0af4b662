import { join } from 'node:path';

/**
 * Where the agent keeps a Network's files on its host, in one place for the two that use them:
 * network/ writes them (dnsmasq's config, host entries, DNS names, pid) and dnsmasq writes its
 * leases there; addresses/ reads the leases for guest addresses.
 */
export const DNSMASQ_FILES = { conf: 'dnsmasq.conf', hosts: 'hosts', addnHosts: 'addn-hosts', leases: 'dnsmasq.leases', pid: 'dnsmasq.pid' } as const;

/** `<stateDir>/networks`: one folder per Network. */
export function networksDir(stateDir: string): string {
  return join(stateDir, 'networks');
}

/** Where the agent keeps a Network's files (dnsmasq.conf, hosts, addn-hosts, leases, pid). */
export function networkDir(stateDir: string, network: string): string {
  return join(networksDir(stateDir), network);
}
