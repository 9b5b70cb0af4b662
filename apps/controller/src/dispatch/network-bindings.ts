/**
 * The network part of a node's Assign, pure and deterministic (inputs sorted by the scope):
 * - per VM NIC a NicBinding from its reservation (ipam/): MAC, address, prefix, gateway, DNS name
 *   `<vm>.<domain>` (domain = spec.dns.domain ?? the Network's name), static = addressing
 *   'static', DNS server = the gateway (the node's dnsmasq listens there); bridge Networks
 *   give only the MAC;
 * - the VM object's spec.networks[].mac filled in from the reservation, so the domain XML carries
 *   the stable MAC even when the document left it out;
 * - per Network a NetworkBinding: every address reservation of it, cluster-wide (`local`: the VM
 *   is bound to this node or migrating to it, so this node's DHCP serves it); vxlan: this node's
 *   VTEP (the host part of its spec.address) and the peers' = every other dispatchable node
 *   (docs/architecture/ipam.md: a stable flood list; a node without the VNI drops the packets).
 */
import type { Network, VirtualMachine } from '@hvs/domain';
import type { agentv1 } from '@hvs/proto';
import { parseSubnet } from '../ipam/ipv4';
import type { Reservation } from '../ipam/reservation-keys';
import type { NodeScope } from './assignment-scope';

export function dnsNameOf(vm: string, network: Network): string {
  return `${vm}.${network.spec.dns?.domain ?? network.metadata.name}`;
}

export function nicBindingsOf(vm: VirtualMachine, networks: ReadonlyMap<string, Network>, reservations: readonly Reservation[]): agentv1.NicBinding[] {
  return vm.spec.networks.map((nic) => {
    const n = networks.get(nic.network);
    const r = reservations.find((x) => x.vmUid === vm.metadata.uid && x.nic === nic.name && x.network === nic.network);
    const mac = (r?.mac ?? nic.mac ?? '').toLowerCase();
    const routed = n !== undefined && n.spec.mode !== 'bridge' && r?.ipv4 !== undefined;
    const gateway = routed ? n.spec.gateway ?? '' : '';
    return {
      name: nic.name, network: nic.network, mac,
      ipv4: routed ? r.ipv4! : '',
      prefixLength: routed && n.spec.subnet ? parseSubnet(n.spec.subnet).prefix : 0,
      gateway,
      dnsName: routed ? dnsNameOf(vm.metadata.name, n) : '',
      static: nic.addressing === 'static',
      dnsServers: gateway ? [gateway] : [],
    };
  });
}

/** The VM with each NIC's MAC set from its binding (spec as the agent renders it). */
export function withReservedMacs(vm: VirtualMachine, nics: readonly agentv1.NicBinding[]): VirtualMachine {
  if (nics.every((b, i) => !b.mac || vm.spec.networks[i]?.mac === b.mac)) return vm;
  return { ...vm, spec: { ...vm.spec, networks: vm.spec.networks.map((nic, i) => (nics[i]?.mac ? { ...nic, mac: nics[i]!.mac } : nic)) } };
}

/** `10.0.0.5` of `10.0.0.5:7443`, `fd00::1` of `[fd00::1]:7443`, the name of `node-a:7443`. */
export function hostOf(address: string): string {
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracket) return bracket[1]!;
  const colons = address.split(':').length - 1;
  return colons === 1 ? address.slice(0, address.indexOf(':')) : address;
}

export function networkBindingsOf(scope: NodeScope, address: string | undefined, peers: readonly agentv1.Peer[]): agentv1.NetworkBinding[] {
  const local = new Set([...scope.vms.map((vm) => vm.metadata.uid), ...scope.incoming]);
  const peerHosts = [...new Set(peers.map((p) => hostOf(p.address)))].sort();
  return scope.networks.map((n) => {
    const vxlan = n.spec.mode === 'vxlan';
    return {
      network: n.metadata.name,
      reservations: scope.reservations
        .filter((r) => r.network === n.metadata.name && r.ipv4 !== undefined)
        .map((r) => ({ vm: r.vm, vmUid: r.vmUid, nic: r.nic, mac: r.mac, ipv4: r.ipv4!, dnsName: dnsNameOf(r.vm, n), local: local.has(r.vmUid) })),
      vtepLocal: vxlan && address ? hostOf(address) : '',
      vtepPeers: vxlan ? peerHosts : [],
    };
  });
}
