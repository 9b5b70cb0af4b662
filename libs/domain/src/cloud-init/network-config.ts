import { cloudInitError } from './errors';
import type { CloudInitNic } from './input';
import { cloudYaml } from './yaml';

/** The kernel's interface name limit (IFNAMSIZ - 1). */
const IFNAMSIZ = 15;

/**
 * network-config version 2 (netplan syntax, which cloud-init reads on every distribution): one
 * `ethernets` entry per NIC, matched by MAC (names inside the guest differ between images and
 * kernels) and renamed to the NIC's name; DHCP unless the binding is static, then the reserved
 * address, a default route via the gateway and the DNS servers.
 */
export function renderNetworkConfig(nics: readonly CloudInitNic[]): string {
  const ethernets: Record<string, unknown> = {};
  nics.forEach((nic, i) => {
    const path = `spec.networks[${i}]`;
    if (new TextEncoder().encode(nic.name).length > IFNAMSIZ) {
      throw cloudInitError('HVS-CLOUDINIT-NIC-NAME-TOO-LONG', 'InvalidArgument', `${path}.name`,
        `NIC name "${nic.name}" is longer than ${IFNAMSIZ} bytes`,
        'cloud-init renames the guest interface to the NIC name, and Linux interface names are at most 15 bytes',
        'use a short NIC name such as eth0 or net1');
    }
    const entry: Record<string, unknown> = { match: { macaddress: nic.mac.toLowerCase() }, 'set-name': nic.name };
    if (nic.static) {
      if (nic.ipv4 === '' || !(nic.prefixLength > 0 && nic.prefixLength <= 32)) {
        throw cloudInitError('HVS-CLOUDINIT-STATIC-INCOMPLETE', 'FailedPrecondition', `${path}.addressing`,
          `NIC "${nic.name}" is static but has no reserved address and prefix`,
          'a static address is written into the guest, so the controller must have reserved one on the Network',
          `check the Network "${nic.network}" has a subnet (nat, isolated or vxlan), or use addressing: dhcp`);
      }
      entry['dhcp4'] = false;
      entry['addresses'] = [`${nic.ipv4}/${nic.prefixLength}`];
      if (nic.gateway !== '') entry['routes'] = [{ to: 'default', via: nic.gateway }];
      const search = nic.dnsName.includes('.') ? [nic.dnsName.slice(nic.dnsName.indexOf('.') + 1)] : [];
      if (nic.dnsServers.length > 0) entry['nameservers'] = { addresses: [...nic.dnsServers], ...(search.length ? { search } : {}) };
    } else {
      entry['dhcp4'] = true;
    }
    ethernets[nic.name] = entry;
  });
  return cloudYaml({ version: 2, ethernets });
}
