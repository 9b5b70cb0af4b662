/**
 * Whether libvirt confines this host's guests with a mandatory access control model (sVirt):
 * AppArmor (libvirt's virt-aa-helper writes a profile per VM from its disks and devices) or
 * SELinux (a per-VM MCS label). libvirt has a model only when its `security_driver` uses it and
 * the kernel has it enabled; it lists what it uses as `<secmodel>` in its capabilities.
 * Read from the host: libvirt's capabilities and /sys; decided here, purely.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HypervisorMode, SecurityModel } from '@hvs/domain';

/** What the host says about MAC: libvirt's security models and the kernel's LSMs. */
export interface HostSecurity {
  /** `<secmodel><model>` of libvirt's capabilities, in order: e.g. ['apparmor', 'dac'], ['none'], ['testSecurity']. */
  libvirtModels: string[];
  /** /sys/module/apparmor/parameters/enabled reads `Y`. */
  apparmorEnabled: boolean;
  /** /sys/fs/selinux/enforce exists (SELinux enabled, enforcing or permissive). */
  selinuxEnabled: boolean;
}

export interface Confinement {
  /** The model every VM's `<seclabel>` names; undefined: VMs are not confined. */
  model?: SecurityModel;
  confined: boolean;
  /** One line for diagnose and the log: what is the case and why. */
  summary: string;
  /** How to turn confinement on; empty when confined. */
  fix: string;
}

/** The `<model>` of every `<secmodel>` in libvirt's capabilities XML. */
export function parseSecModels(capabilitiesXml: string): string[] {
  return [...capabilitiesXml.matchAll(/<secmodel>\s*<model>([^<]*)<\/model>/g)].map((m) => m[1]!.trim()).filter((m) => m !== '');
}

export const ENABLE_APPARMOR_FIX =
  'install AppArmor (apt install apparmor apparmor-utils), boot with it (add "apparmor=1 security=apparmor" to GRUB_CMDLINE_LINUX in /etc/default/grub, update-grub, reboot), '
  + 'set security_driver = "apparmor" in /etc/libvirt/qemu.conf, restart libvirtd, then restart the node agent; `aa-status` then lists libvirt-<uuid> profiles for running VMs (docs/security.md, AppArmor / sVirt)';

/** The confinement this host gives VMs; pure. `security` undefined: the driver could not tell. */
export function confinementOf(security: HostSecurity | undefined, mode: HypervisorMode): Confinement {
  const models = security?.libvirtModels ?? [];
  for (const model of ['apparmor', 'selinux'] as const) {
    if (models.includes(model)) {
      return { model, confined: true, summary: `VMs are confined by libvirt's ${model} security driver (sVirt: a dynamic label per VM)`, fix: '' };
    }
  }
  const listed = models.length > 0 ? models.join(', ') : 'none reported';
  let why: string;
  if (mode === 'test') why = `libvirt's test driver runs no guests and confines nothing (security models: ${listed})`;
  else if (security?.apparmorEnabled) why = `the kernel has AppArmor, but libvirt does not use it (security models: ${listed}; security_driver in /etc/libvirt/qemu.conf)`;
  else if (security?.selinuxEnabled) why = `the kernel has SELinux, but libvirt does not use it (security models: ${listed})`;
  else why = `the kernel has neither AppArmor nor SELinux enabled (security models: ${listed})`;
  return {
    confined: false,
    summary: `VMs are not confined: ${why}; a guest that escapes QEMU can reach whatever the QEMU user can`,
    fix: security?.selinuxEnabled && !security.apparmorEnabled
      ? 'set security_driver = "selinux" in /etc/libvirt/qemu.conf and restart libvirtd, then restart the node agent (docs/security.md, AppArmor / sVirt)'
      : ENABLE_APPARMOR_FIX,
  };
}

/** The kernel's side, from /sys; absent files read as disabled. */
export async function readKernelMac(sysRoot = '/sys'): Promise<Pick<HostSecurity, 'apparmorEnabled' | 'selinuxEnabled'>> {
  const apparmor = await readFile(join(sysRoot, 'module/apparmor/parameters/enabled'), 'utf8').catch(() => '');
  const selinux = await readFile(join(sysRoot, 'fs/selinux/enforce'), 'utf8').then(() => true, () => false);
  return { apparmorEnabled: apparmor.trim() === 'Y', selinuxEnabled: selinux };
}
