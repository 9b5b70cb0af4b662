/**
 * NICs, console (graphics + serial), guest-agent channel, PCI passthrough, TPM, balloon and RNG.
 */
import type { VirtualMachine } from '../kinds/vm';
import { el, type XmlElement } from './builder';
import { type HostFacts, xmlError } from './host-facts';
import { defaultMac, vmDomainName, tapName } from './naming';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const PCI = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i;

export function renderNics(vm: VirtualMachine, host: HostFacts): XmlElement[] {
  return vm.spec.networks.map((nic, i) => {
    const field = `spec.networks[${i}]`;
    const net = Object.hasOwn(host.networks, nic.network) ? host.networks[nic.network] : undefined;
    if (net === undefined) {
      throw xmlError('HVS-XML-NETWORK-UNKNOWN', 'FailedPrecondition', `${field}.network`,
        `network "${nic.network}" is not realised on this host`,
        'a NIC plugs into the bridge or libvirt network that realises its Network on the host, and this host has none',
        `check \`hvctl get network ${nic.network}\`; the node agent creates it before starting VMs that use it`);
    }
    let source: XmlElement;
    let type: 'bridge' | 'network';
    if (net.bridge !== undefined) {
      type = 'bridge';
      source = el('source', { bridge: net.bridge });
    } else if (net.libvirtNetwork !== undefined) {
      type = 'network';
      source = el('source', { network: net.libvirtNetwork });
    } else {
      throw xmlError('HVS-XML-NETWORK-UNBOUND', 'FailedPrecondition', `${field}.network`,
        `network "${nic.network}" has neither a bridge nor a libvirt network on this host`,
        'the host facts must say how the Network is realised', 'this is a node agent bug: report it with `hvctl describe node`');
    }
    const mac = nic.mac ?? defaultMac(vm, i);
    if (!MAC.test(mac) || (parseInt(mac.slice(0, 2), 16) & 1) === 1) {
      throw xmlError('HVS-XML-MAC-INVALID', 'InvalidArgument', `${field}.mac`, `MAC ${JSON.stringify(mac)} is not a unicast MAC`,
        'libvirt needs six hex pairs (xx:xx:xx:xx:xx:xx) with the multicast bit of the first octet clear',
        'use e.g. 52:54:00:12:34:56, or leave mac out to get a stable generated one');
    }
    return el('interface', { type },
      el('mac', { address: mac.toLowerCase() }),
      source,
      el('target', { dev: tapName(vm, i) }),
      el('model', { type: nic.model ?? 'virtio' }),
      // 802.1Q tag of the guest's port: libvirt sets it on the tap with `bridge vlan` (needs VLAN filtering on the bridge).
      ...(net.vlan !== undefined ? [el('vlan', {}, el('tag', { id: net.vlan }))] : []),
      ...(net.mtu !== undefined ? [el('mtu', { size: net.mtu })] : []));
  });
}

/** VNC or SPICE (default VNC) on spec.console.listen, else host.consoleListen, else 127.0.0.1; port chosen by libvirt. */
export function renderGraphics(vm: VirtualMachine, host: HostFacts): XmlElement[] {
  const type = vm.spec.console?.type ?? 'vnc';
  const listen = vm.spec.console?.listen ?? host.consoleListen ?? '127.0.0.1';
  const graphics = el('graphics', { type, autoport: true, listen }, el('listen', { type: 'address', address: listen }));
  const video = el('video', {}, el('model', { type: type === 'spice' ? 'qxl' : 'vga', heads: 1, primary: true }));
  return [graphics, video];
}

/** Where the host keeps a VM's serial console output (libvirt's own per-domain log dir). */
export const SERIAL_LOG_DIR = '/var/log/libvirt/qemu';

/** The serial console log of the domain `domain` (`hvs-<uid>`) on the host running it. */
export function serialLogPath(domain: string): string {
  return `${SERIAL_LOG_DIR}/${domain}-serial.log`;
}

/**
 * Serial port 0 on a pty and the console bound to it (`virsh console`). Everything the guest
 * writes there is also appended to serialLogPath on the host running it (virtlogd writes it
 * and rotates it; after a migration the target appends to its own copy): the console log an
 * operator reads after the fact (docs/architecture/direct-kernel-boot.md#serial-console-log).
 */
export function renderSerialConsole(vm: VirtualMachine): XmlElement[] {
  return [
    el('serial', { type: 'pty' },
      el('log', { file: serialLogPath(vmDomainName(vm)), append: 'on' }),
      el('target', { type: 'isa-serial', port: 0 }, el('model', { name: 'isa-serial' }))),
    el('console', { type: 'pty' }, el('target', { type: 'serial', port: 0 })),
  ];
}

/** qemu-guest-agent (IPs, fs-freeze for consistent backups); SPICE adds its vdagent channel. */
export function renderChannels(vm: VirtualMachine): XmlElement[] {
  const out = [el('channel', { type: 'unix' }, el('target', { type: 'virtio', name: 'org.qemu.guest_agent.0' }))];
  if (vm.spec.console?.type === 'spice') {
    out.push(el('channel', { type: 'spicevmc' }, el('target', { type: 'virtio', name: 'com.redhat.spice.0' })));
  }
  return out;
}

/**
 * PCI passthrough, `managed='yes'` (libvirt detaches the device from its host driver and gives it
 * back on stop). A hostdev given only by vendor:device takes the first host device with that id
 * not already taken by an earlier hostdev of this VM (deterministic for a given host).
 */
export function renderHostdevs(vm: VirtualMachine, host: HostFacts): XmlElement[] {
  const taken = new Set<string>();
  const addresses = (vm.spec.devices?.hostdevs ?? []).map((h, i) => {
    const field = `spec.devices.hostdevs[${i}]`;
    if (h.pciAddress !== undefined) {
      taken.add(h.pciAddress.toLowerCase());
      return { field, address: h.pciAddress };
    }
    return { field, vendorDevice: h.vendorDevice, name: h.name };
  });
  return addresses.map((a) => {
    let address = a.address;
    if (address === undefined) {
      const wanted = (a.vendorDevice ?? '').toLowerCase();
      const found = (host.pciDevices ?? []).find((d) => d.vendorDevice.toLowerCase() === wanted && !taken.has(d.pciAddress.toLowerCase()));
      if (found === undefined || wanted === '') {
        throw xmlError('HVS-XML-HOSTDEV-UNRESOLVED', 'FailedPrecondition', a.field,
          `hostdev "${a.name ?? ''}" (${a.vendorDevice ?? 'no vendorDevice'}) matches no free PCI device on this host`,
          'passthrough needs a concrete PCI address and this host lists no free device with that vendor:device id',
          'set pciAddress (see `hvctl describe node` for the host\'s devices), or schedule the VM on a node that has the device');
      }
      taken.add(found.pciAddress.toLowerCase());
      address = found.pciAddress;
    }
    const m = PCI.exec(address);
    if (!m) {
      throw xmlError('HVS-XML-PCI-ADDRESS-INVALID', 'InvalidArgument', `${a.field}.pciAddress`,
        `PCI address ${JSON.stringify(address)} is not domain:bus:slot.function`,
        'libvirt needs the full address to pick the device', 'write it like 0000:01:00.0 (as `lspci -D` prints it)');
    }
    const [, domain, bus, slot, fn] = m as unknown as [string, string, string, string, string];
    return el('hostdev', { mode: 'subsystem', type: 'pci', managed: true },
      el('source', {}, el('address', { domain: `0x${domain.toLowerCase()}`, bus: `0x${bus.toLowerCase()}`, slot: `0x${slot.toLowerCase()}`, function: `0x${fn}` })));
  });
}

export function renderTpm(vm: VirtualMachine): XmlElement | undefined {
  if (vm.spec.firmware?.tpm !== true) return undefined;
  return el('tpm', { model: 'tpm-crb' }, el('backend', { type: 'emulator', version: '2.0' }));
}

export function renderBalloonAndRng(): XmlElement[] {
  return [
    el('memballoon', { model: 'virtio' }),
    el('rng', { model: 'virtio' }, el('backend', { model: 'random' }, '/dev/urandom')),
  ];
}
