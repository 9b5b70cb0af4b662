/**
 * The files of one Network's dnsmasq (pure text). DHCP runs in static mode only: dnsmasq answers
 * only MACs listed in the hosts file (this node's VMs, each with its cluster-wide reservation),
 * so two nodes on one VXLAN segment never hand out the same address and there is no dynamic
 * pool that could collide across nodes. DNS knows every reservation of the Network (addn-hosts),
 * local or not, so `<vm>.<domain>` resolves on every node.
 */
import { join } from 'node:path';
import type { Network } from '@hvs/domain';
import type { AddressReservation } from '../state/assignment-store';
import { DNSMASQ_FILES } from '../state/network-files';
import { splitSubnet } from './subnet';

export interface DnsmasqFiles {
  /** dnsmasq.conf: a change means a restart. */
  conf: string;
  /** dhcp-hostsfile (`mac,ip,hostname`): re-read on SIGHUP. */
  hosts: string;
  /** addn-hosts (`ip name`): re-read on SIGHUP. */
  addnHosts: string;
}

export interface DnsmasqInput {
  network: string;
  spec: Network['spec'];
  bridge: string;
  gateway: string;
  subnet: string;
  mtu: number;
  dir: string;
  reservations: AddressReservation[];
}

export { DNSMASQ_FILES };

/** `<vm>.<domain>`, domain = spec.dns.domain ?? the Network's name (fixed contract). */
export function dnsDomain(network: string, spec: Network['spec']): string {
  return spec.dns?.domain ?? network;
}

export function renderDnsmasqFiles(i: DnsmasqInput): DnsmasqFiles {
  const domain = dnsDomain(i.network, i.spec);
  const { base, netmask } = splitSubnet(i.subnet);
  const conf = [
    `# Written by the hvs node agent for Network ${i.network}; rewritten on every change, do not edit.`,
    `interface=${i.bridge}`,
    'except-interface=lo',
    'bind-interfaces',
    // Files live in the agent's private (0700) state dir; nobody could read them after a privilege drop.
    'user=root',
    `pid-file=${join(i.dir, DNSMASQ_FILES.pid)}`,
    `dhcp-leasefile=${join(i.dir, DNSMASQ_FILES.leases)}`,
    `dhcp-hostsfile=${join(i.dir, DNSMASQ_FILES.hosts)}`,
    `addn-hosts=${join(i.dir, DNSMASQ_FILES.addnHosts)}`,
    `domain=${domain}`,
    `local=/${domain}/`,
    'domain-needed',
    'bogus-priv',
    // Only isolated/vxlan: no uplink, so no upstream resolvers either.
    ...(i.spec.mode === 'nat' ? [] : ['no-resolv']),
    `dhcp-range=${base},static,${netmask}`,
    'dhcp-ignore=tag:!known',
    'dhcp-authoritative',
    ...(i.spec.mode === 'nat' ? [`dhcp-option=option:router,${i.gateway}`] : ['dhcp-option=option:router']),
    `dhcp-option=option:dns-server,${i.gateway}`,
    ...(i.mtu !== 1500 ? [`dhcp-option=option:mtu,${i.mtu}`] : []),
    '',
  ].join('\n');
  const byIp = [...i.reservations].filter((r) => r.ipv4 !== '').sort((a, b) => a.ipv4.localeCompare(b.ipv4, 'en', { numeric: true }) || a.nic.localeCompare(b.nic));
  // The hostname goes with a VM's first NIC only (in the controller's order): dnsmasq ties a
  // DHCP hostname to one address. DNS names come from addn-hosts either way.
  const firstOf = new Map<string, AddressReservation>();
  for (const r of i.reservations) if (r.local && r.mac !== '' && r.ipv4 !== '' && !firstOf.has(r.vm)) firstOf.set(r.vm, r);
  const first = new Set(firstOf.values());
  const hosts = byIp.filter((r) => r.local && r.mac !== '').map((r) => `${r.mac.toLowerCase()},${r.ipv4}${first.has(r) ? `,${r.vm}` : ''}`);
  const names = byIp.map((r) => `${r.ipv4} ${r.dnsName || `${r.vm}.${domain}`}`);
  return { conf, hosts: lines(hosts), addnHosts: lines(names) };
}

function lines(ls: string[]): string {
  return ls.length === 0 ? '' : `${ls.join('\n')}\n`;
}
