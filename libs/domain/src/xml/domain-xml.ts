/**
 * `renderDomainXml(vm, host)`: the complete libvirt domain XML for one VM on one host, built only
 * through the escaping builder. Pure and deterministic: the same VM and host facts always give
 * byte-identical XML, so the agent can compare rendered vs. defined and a re-render after a crash
 * is harmless. Throws only `HvsError` (codes HVS-XML-*); see docs/architecture/domain-xml.md.
 */
import type { VirtualMachine } from '../kinds/vm';
import { el, serializeXml, type XmlElement } from './builder';
import { renderCpuMemory } from './cpu-memory';
import {
  renderBalloonAndRng, renderChannels, renderGraphics, renderHostdevs, renderNics, renderSerialConsole, renderTpm,
} from './devices';
import { DEFAULT_POOL, lookupPool, renderDisks, renderScsiController } from './disks';
import { type HostFacts, resolveInPool, xmlError } from './host-facts';
import { vmDomainName, domainUuid } from './naming';

/** Namespace of our `<metadata>` element; stable, part of the on-host format. */
export const HVS_XMLNS = 'https://hypervisor-suite.dev/xmlns/v1';

export function renderDomainXml(vm: VirtualMachine, host: HostFacts): string {
  return serializeXml(buildDomain(vm, host));
}

/** The element tree, for callers that want to inspect it (tests) before serialising. */
export function buildDomain(vm: VirtualMachine, host: HostFacts): XmlElement {
  const spec = vm.spec;
  const name = vmDomainName(vm);
  const cpuMem = renderCpuMemory(spec, host);
  const secureBoot = spec.firmware?.secureBoot === true;
  if (secureBoot && spec.firmware?.type !== 'uefi') {
    throw xmlError('HVS-XML-SECUREBOOT-NEEDS-UEFI', 'InvalidArgument', 'spec.firmware.secureBoot',
      'Secure Boot is asked for with BIOS firmware', 'Secure Boot is a UEFI feature', 'set spec.firmware.type: uefi, or drop secureBoot');
  }
  return el('domain', { type: host.domainType },
    el('name', {}, name),
    domainUuid(vm) !== undefined && el('uuid', {}, domainUuid(vm) as string),
    el('title', {}, vm.metadata.name),
    renderMetadata(vm),
    cpuMem.memory,
    cpuMem.vcpu,
    renderOs(vm, host),
    el('features', {}, el('acpi'), el('apic'), secureBoot && el('smm', { state: 'on' })),
    cpuMem.cpu,
    el('clock', { offset: 'utc' }),
    el('on_poweroff', {}, 'destroy'),
    el('on_reboot', {}, 'restart'),
    el('on_crash', {}, 'destroy'),
    el('devices', {},
      host.emulator !== undefined && el('emulator', {}, host.emulator),
      renderDisks(vm, host),
      renderScsiController(vm),
      renderNics(vm, host),
      renderSerialConsole(vm),
      renderChannels(vm),
      renderGraphics(vm, host),
      renderHostdevs(vm, host),
      renderTpm(vm),
      renderBalloonAndRng()),
    renderSeclabel(host));
}

/**
 * sVirt: a dynamic label, so libvirt generates the VM's own AppArmor profile (virt-aa-helper,
 * from its disks and devices) or SELinux MCS category, and relabels its files for it alone; a
 * guest that escapes QEMU then reaches only its own files. Explicit rather than libvirt's
 * default so a host with `security_default_confined = 0` still confines our VMs.
 */
function renderSeclabel(host: HostFacts): XmlElement | undefined {
  if (host.securityModel === undefined) return undefined;
  return el('seclabel', { type: 'dynamic', model: host.securityModel, relabel: 'yes' });
}

/**
 * `<hvs:vm name generation>` with one `<hvs:label key value/>` per label and one
 * `<hvs:annotation key>text</hvs:annotation>` per annotation, sorted by key (stable output). Lets an
 * operator map `virsh list` back to the object and lets the agent adopt domains after a restart.
 */
function renderMetadata(vm: VirtualMachine): XmlElement {
  const meta = vm.metadata;
  const sorted = (r: Record<string, string> | undefined) => Object.entries(r ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return el('metadata', {},
    el('hvs:vm', { 'xmlns:hvs': HVS_XMLNS, name: meta.name, uid: meta.uid, generation: meta.generation },
      sorted(meta.labels).map(([key, value]) => el('hvs:label', { key, value })),
      sorted(meta.annotations).map(([key, value]) => el('hvs:annotation', { key }, value === '' ? undefined : value))));
}

/**
 * BIOS: plain `<os>`. UEFI with host.ovmf: explicit pflash loader + NVRAM template (libvirt
 * names the per-VM NVRAM file). UEFI without: libvirt's firmware auto-selection, asking for a
 * Secure Boot build with enrolled keys when secureBoot is set. spec.boot adds direct kernel
 * boot (kernel, initrd, cmdline) with both files resolved inside their pool.
 */
function renderOs(vm: VirtualMachine, host: HostFacts): XmlElement {
  const fw = vm.spec.firmware;
  const type = el('type', { arch: host.arch ?? 'x86_64', machine: host.machine ?? 'q35' }, 'hvm');
  const kernel = renderKernelBoot(vm, host);
  if (fw?.type !== 'uefi') return el('os', {}, type, kernel);
  const secure = fw.secureBoot === true;
  if (host.ovmf !== undefined) {
    return el('os', {}, type,
      el('loader', { readonly: true, secure, type: 'pflash' }, host.ovmf.code),
      el('nvram', { template: host.ovmf.vars }),
      kernel);
  }
  return el('os', { firmware: 'efi' }, type,
    el('firmware', {},
      el('feature', { enabled: secure, name: 'enrolled-keys' }),
      el('feature', { enabled: secure, name: 'secure-boot' })),
    kernel);
}

/** `<kernel>`, `<initrd>`, `<cmdline>` of spec.boot; the paths never leave the pool (HVS-XML-PATH-ESCAPES). */
function renderKernelBoot(vm: VirtualMachine, host: HostFacts): XmlElement[] {
  const boot = vm.spec.boot;
  if (boot === undefined) return [];
  const poolName = boot.pool ?? DEFAULT_POOL;
  const pool = lookupPool(host, poolName, 'spec.boot.pool');
  return [
    el('kernel', {}, resolveInPool(poolName, pool.path, boot.kernel, 'spec.boot.kernel')),
    boot.initrd !== undefined && el('initrd', {}, resolveInPool(poolName, pool.path, boot.initrd, 'spec.boot.initrd')),
    boot.cmdline !== undefined && el('cmdline', {}, boot.cmdline),
  ].filter((x): x is XmlElement => x !== false);
}
