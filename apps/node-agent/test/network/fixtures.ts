/** Networks and bindings the network tests share (as the controller sends them). */
import type { Network } from '@hvs/domain';
import type { AddressReservation, NetworkBinding } from '../../src/state/assignment-store';

export function network(name: string, spec: Network['spec']): Network {
  return { apiVersion: 'hvs/v1', kind: 'Network', metadata: { name }, spec };
}

export function reservation(vm: string, ipv4: string, mac: string, local = true, nic = 'eth0'): AddressReservation {
  return { vm, vmUid: `${vm}-uid`, nic, mac, ipv4, dnsName: '', local };
}

export function binding(n: Network, reservations: AddressReservation[] = [], vtep: { local?: string; peers?: string[] } = {}): NetworkBinding {
  return { network: n, reservations, vtepLocal: vtep.local ?? '', vtepPeers: vtep.peers ?? [] };
}
