/**
 * The desired host state of one Network on this node, as pure data and text: which bridge (and
 * VXLAN device, FDB entries, VLAN) with which MTU, MAC and gateway address, the dnsmasq files,
 * the port forwards. No I/O: the executor (host-driver.ts) makes the host match a plan, the
 * simulated driver records it, and tests golden-test it (docs/architecture/network-realisation.md).
 */
import { join } from 'node:path';
import type { Network } from '@hvs/domain';
import type { NetworkBinding } from '../state/assignment-store';
import { DNSMASQ_FILES, networkDir } from '../state/network-files';
import { renderDnsmasqFiles, type DnsmasqFiles } from './dnsmasq-config';
import { bridgeName, gatewayMac, ownerAlias, vxlanName } from './naming';
import { intToIpv4, ipv4ToInt, splitSubnet } from './subnet';

export const DEFAULT_MTU = 1500;
/** VXLAN adds 50 bytes (outer Ethernet, IPv4, UDP, VXLAN headers) to each frame on a 1500 underlay. */
export const VXLAN_MTU = 1450;
/** The IANA VXLAN port. */
export const VXLAN_PORT = 4789;
/** The all-zero MAC of the FDB entries that send broadcast and unknown unicast to every peer (head-end replication). */
export const FLOOD_MAC = '00:00:00:00:00:00';

export interface VxlanPlan {
  device: string;
  vni: number;
  port: number;
  /** This node's underlay address (the VTEP). */
  local: string;
  /** The other nodes' VTEPs, sorted: one all-zero FDB entry each. */
  peers: string[];
}

/** A DNAT of a node port to a local VM's reserved address (nat mode). */
export interface ForwardPlan {
  protocol: 'tcp' | 'udp';
  hostPort: number;
  vm: string;
  ip: string;
  port: number;
}

export interface NetworkPlan {
  network: string;
  mode: Network['spec']['mode'];
  bridge: string;
  /** false in bridge mode: the operator's bridge is joined, nothing is created or changed. */
  owned: boolean;
  alias: string;
  mtu: number;
  /** Of our bridges: derived from the Network name (naming.ts gatewayMac), fixed, the same on every node. */
  mac?: string;
  subnet?: string;
  /** `<gateway>/<prefix>` on the bridge. */
  address?: string;
  gateway?: string;
  vlan?: number;
  vxlan?: VxlanPlan;
  /** Absent without a subnet (no addresses to hand out) and in bridge mode. */
  dnsmasq?: { dir: string; files: DnsmasqFiles };
  forwards: ForwardPlan[];
  /** The commands that build it from nothing, in order (argv arrays; the executor runs the missing ones). */
  commands: string[][];
}

export { networkDir };

/** The gateway: spec.gateway, else the first host address of the subnet. */
export function gatewayOf(spec: Network['spec']): string | undefined {
  if (spec.gateway) return spec.gateway;
  if (!spec.subnet || spec.subnet.includes(':')) return undefined;
  return intToIpv4(ipv4ToInt(splitSubnet(spec.subnet).base) + 1);
}

/** The argv builders the plan lists and the executor runs (one place for each command's shape). */
export const cmd = {
  addBridge: (b: string) => ['ip', 'link', 'add', 'name', b, 'type', 'bridge'],
  alias: (dev: string, alias: string) => ['ip', 'link', 'set', 'dev', dev, 'alias', alias],
  linkUp: (dev: string, mtu: number, mac?: string) => ['ip', 'link', 'set', 'dev', dev, 'mtu', String(mtu), ...(mac ? ['address', mac] : []), 'up'],
  addAddress: (cidr: string, dev: string) => ['ip', 'addr', 'replace', cidr, 'dev', dev],
  delAddress: (cidr: string, dev: string) => ['ip', 'addr', 'del', cidr, 'dev', dev],
  vlanFiltering: (b: string) => ['ip', 'link', 'set', 'dev', b, 'type', 'bridge', 'vlan_filtering', '1'],
  bridgeVlan: (b: string, vid: number) => ['bridge', 'vlan', 'add', 'dev', b, 'vid', String(vid), 'pvid', 'untagged', 'self'],
  portVlan: (dev: string, vid: number) => ['bridge', 'vlan', 'add', 'dev', dev, 'vid', String(vid), 'pvid', 'untagged'],
  addVxlan: (v: VxlanPlan) => ['ip', 'link', 'add', v.device, 'type', 'vxlan', 'id', String(v.vni), 'dstport', String(v.port), 'local', v.local, 'nolearning'],
  enslave: (dev: string, b: string, mtu: number) => ['ip', 'link', 'set', 'dev', dev, 'master', b, 'mtu', String(mtu), 'up'],
  fdbAppend: (dev: string, peer: string) => ['bridge', 'fdb', 'append', FLOOD_MAC, 'dev', dev, 'dst', peer],
  fdbDel: (dev: string, peer: string) => ['bridge', 'fdb', 'del', FLOOD_MAC, 'dev', dev, 'dst', peer],
  delLink: (dev: string) => ['ip', 'link', 'del', 'dev', dev],
  dnsmasq: (dir: string) => ['dnsmasq', `--conf-file=${join(dir, DNSMASQ_FILES.conf)}`],
  nftApply: (file: string) => ['nft', '-f', file],
  /** nat needs routing on; host-wide (per network namespace), as libvirt's NAT networks do too. */
  ipForward: () => ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
};

function forwardsOf(binding: NetworkBinding): ForwardPlan[] {
  const spec = binding.network.spec;
  if (spec.mode !== 'nat') return [];
  const out: ForwardPlan[] = [];
  for (const f of spec.portForwards ?? []) {
    // The VM's first NIC on this Network, and only where the VM runs (its reservation is local here).
    const r = binding.reservations.find((x) => x.vm === f.vm && x.local && x.ipv4 !== '');
    if (r) out.push({ protocol: f.protocol, hostPort: f.hostPort, vm: f.vm, ip: r.ipv4, port: f.port });
  }
  return out;
}

/** The plan of one Network on this node (pure; throws nothing for a valid Network). */
export function planNetwork(binding: NetworkBinding, stateDir: string): NetworkPlan {
  const name = binding.network.metadata.name;
  const spec = binding.network.spec;
  if (spec.mode === 'bridge') {
    return { network: name, mode: 'bridge', bridge: spec.bridge ?? name, owned: false, alias: ownerAlias(name), mtu: spec.mtu ?? DEFAULT_MTU, forwards: [], commands: [] };
  }
  const bridge = bridgeName(name);
  const mtu = spec.mtu ?? (spec.mode === 'vxlan' ? VXLAN_MTU : DEFAULT_MTU);
  const plan: NetworkPlan = { network: name, mode: spec.mode, bridge, owned: true, alias: ownerAlias(name), mtu, forwards: forwardsOf(binding), commands: [] };
  plan.mac = gatewayMac(name);
  const gateway = gatewayOf(spec);
  if (spec.subnet && gateway && !spec.subnet.includes(':')) {
    plan.subnet = spec.subnet;
    plan.gateway = gateway;
    plan.address = `${gateway}/${splitSubnet(spec.subnet).prefix}`;
  }
  if (spec.vlan !== undefined) plan.vlan = spec.vlan;
  if (spec.mode === 'vxlan' && spec.vxlan) {
    plan.vxlan = {
      device: vxlanName(name), vni: spec.vxlan.vni, port: spec.vxlan.port ?? VXLAN_PORT, local: binding.vtepLocal,
      peers: [...new Set(binding.vtepPeers)].filter((p) => p !== '' && p !== binding.vtepLocal).sort(),
    };
  }
  if (plan.subnet && plan.gateway) {
    const dir = networkDir(stateDir, name);
    plan.dnsmasq = { dir, files: renderDnsmasqFiles({ network: name, spec, bridge, gateway: plan.gateway, subnet: plan.subnet, mtu, dir, reservations: binding.reservations }) };
  }
  plan.commands = creationCommands(plan);
  return plan;
}

function creationCommands(p: NetworkPlan): string[][] {
  const out: string[][] = [cmd.addBridge(p.bridge), cmd.alias(p.bridge, p.alias), cmd.linkUp(p.bridge, p.mtu, p.mac)];
  if (p.address) out.push(cmd.addAddress(p.address, p.bridge));
  if (p.mode === 'nat') out.push(cmd.ipForward());
  if (p.vlan !== undefined) out.push(cmd.vlanFiltering(p.bridge), cmd.bridgeVlan(p.bridge, p.vlan));
  if (p.vxlan) {
    out.push(cmd.addVxlan(p.vxlan), cmd.alias(p.vxlan.device, p.alias), cmd.enslave(p.vxlan.device, p.bridge, p.mtu));
    if (p.vlan !== undefined) out.push(cmd.portVlan(p.vxlan.device, p.vlan));
    for (const peer of p.vxlan.peers) out.push(cmd.fdbAppend(p.vxlan.device, peer));
  }
  if (p.dnsmasq) out.push(cmd.dnsmasq(p.dnsmasq.dir));
  return out;
}
