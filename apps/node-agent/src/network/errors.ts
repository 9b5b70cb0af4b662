/** The coded errors of realising a Network on a node (docs/networking.md#troubleshooting). */
import { HvsError } from '@hvs/domain';

/** The Network status reason (NetworkObservation.reason) of each code. */
export const REASON_OF_CODE: Record<string, string> = {
  'HVS-NET-NAME-CLASH': 'NameClash',
  'HVS-NET-BRIDGE-MISSING': 'BridgeMissing',
  'HVS-NET-DNSMASQ-FAILED': 'DnsmasqFailed',
  'HVS-NET-VLAN-UNSUPPORTED': 'VlanUnsupported',
  'HVS-NET-VTEP-MISSING': 'VtepMissing',
  'HVS-NET-HOST-COMMAND-FAILED': 'HostCommandFailed',
};

export function nameClash(device: string, network: string, alias: string | undefined): HvsError {
  return new HvsError({
    code: 'HVS-NET-NAME-CLASH', category: 'FailedPrecondition',
    message: `network ${network}: device ${device} exists on this host and is not ours`,
    why: `its alias is ${alias ? JSON.stringify(alias) : 'empty'}, not "hvs:${network}"; the agent never takes over or deletes what it did not create`,
    fix: `find who created it (\`ip -d link show ${device}\`); remove or rename it if it is unused, then the agent creates its own`,
  });
}

export function bridgeMissing(bridge: string, network: string): HvsError {
  return new HvsError({
    code: 'HVS-NET-BRIDGE-MISSING', category: 'FailedPrecondition',
    message: `network ${network}: host bridge ${bridge} does not exist on this node`,
    why: 'a bridge-mode Network joins a bridge the operator made; the agent creates nothing for it',
    fix: `create it on this node (\`ip link add name ${bridge} type bridge && ip link set ${bridge} up\`, or your distribution's network config), or correct spec.bridge; check with \`ip link show ${bridge}\``,
  });
}

export function dnsmasqFailed(network: string, output: string): HvsError {
  const said = output.trim().split('\n').filter(Boolean).slice(-3).join(' / ').slice(0, 600);
  return new HvsError({
    code: 'HVS-NET-DNSMASQ-FAILED', category: 'Unavailable',
    message: `network ${network}: dnsmasq did not start: ${said || 'no output'}`,
    why: 'DHCP and DNS of the Network are served by its own dnsmasq; a port it needs (53, 67) may be taken by another DNS/DHCP server bound to all addresses',
    fix: 'stop or rebind the other server (e.g. systemd-resolved or a dnsmasq without --bind-interfaces: `ss -lunp \'( sport = 53 or sport = 67 )\'`), then the agent retries by itself',
  });
}

export function vlanUnsupported(network: string, vlan: number, output: string): HvsError {
  return new HvsError({
    code: 'HVS-NET-VLAN-UNSUPPORTED', category: 'FailedPrecondition',
    message: `network ${network}: VLAN ${vlan} cannot be realised on this node`,
    why: `the kernel refused VLAN filtering on the bridge (${output.trim().slice(0, 200) || 'not supported'}); it needs CONFIG_BRIDGE_VLAN_FILTERING and 802.1Q`,
    fix: 'run the Network on nodes whose kernel has bridge VLAN filtering (`modprobe 8021q`), or drop spec.vlan',
  });
}

export function vtepMissing(network: string): HvsError {
  return new HvsError({
    code: 'HVS-NET-VTEP-MISSING', category: 'FailedPrecondition',
    message: `network ${network}: no VXLAN endpoint address for this node`,
    why: 'a vxlan Network needs this node\'s underlay address (binding.vtepLocal) and spec.vxlan.vni',
    fix: 'check that the Node reports an address (`hvctl describe node`) and the Network sets spec.vxlan.vni',
  });
}

export function hostCommandFailed(argv: readonly string[], output: string): HvsError {
  return new HvsError({
    code: 'HVS-NET-HOST-COMMAND-FAILED', category: 'Internal',
    message: `\`${argv.join(' ')}\` failed: ${output.trim().slice(0, 400) || 'no output'}`,
    why: 'the agent realises Networks with ip, bridge, dnsmasq and nft and needs root (CAP_NET_ADMIN)',
    fix: 'check that the agent runs as root and the tools are installed (Debian: iproute2, dnsmasq-base, nftables); the agent retries on its next resync',
  });
}
