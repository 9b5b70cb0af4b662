import type { VirtualMachine } from '../kinds/vm';
import { defaultMac } from '../xml/naming';
import type { CloudInitNic } from './input';

/**
 * The VM's NICs for network-config, in spec order: the controller's binding of each NIC when the
 * node has one (MAC, reserved address, DNS name), else what the spec and the XML renderer give
 * (the same MAC as the domain's `<mac>`, DHCP). Pure.
 */
export function cloudInitNics(vm: VirtualMachine, bindings: readonly CloudInitNic[]): CloudInitNic[] {
  const byName = new Map(bindings.map((b) => [b.name, b]));
  return vm.spec.networks.map((nic, i) => byName.get(nic.name) ?? {
    name: nic.name, network: nic.network, mac: (nic.mac ?? defaultMac(vm, i)).toLowerCase(),
    ipv4: '', prefixLength: 0, gateway: '', dnsName: '', static: false, dnsServers: [],
  });
}
