/** Confinement (sVirt) decided from libvirt's capabilities and the kernel's /sys, purely; /sys read from a temp tree. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { confinementOf, parseSecModels, readKernelMac } from '../../src/hypervisor';
import { tempDir } from '../support/fixtures';

/** The shape of `virsh capabilities` (its <host>) on a Debian host whose libvirt uses AppArmor; written from libvirt's format, not captured here (this machine has no AppArmor). */
const DEBIAN_APPARMOR_CAPS = `<capabilities>
  <host>
    <uuid>0c5d1f2a-1111-2222-3333-444455556666</uuid>
    <cpu><arch>x86_64</arch></cpu>
    <secmodel>
      <model>apparmor</model>
      <doi>0</doi>
    </secmodel>
    <secmodel>
      <model>dac</model>
      <doi>0</doi>
      <baselabel type='kvm'>+64055:+64055</baselabel>
      <baselabel type='qemu'>+64055:+64055</baselabel>
    </secmodel>
  </host>
</capabilities>`;

describe('parseSecModels', () => {
  it('reads every secmodel of the capabilities, in order', () => {
    expect(parseSecModels(DEBIAN_APPARMOR_CAPS)).toEqual(['apparmor', 'dac']);
    expect(parseSecModels('<host><secmodel>\n<model>testSecurity</model>\n<doi></doi></secmodel></host>')).toEqual(['testSecurity']);
    expect(parseSecModels('<capabilities><host></host></capabilities>')).toEqual([]);
  });
});

describe('confinementOf', () => {
  it('is confined, with the model for the seclabel, where libvirt runs apparmor or selinux', () => {
    expect(confinementOf({ libvirtModels: ['apparmor', 'dac'], apparmorEnabled: true, selinuxEnabled: false }, 'kvm')).toMatchObject({ confined: true, model: 'apparmor', fix: '' });
    expect(confinementOf({ libvirtModels: ['selinux', 'dac'], apparmorEnabled: false, selinuxEnabled: true }, 'kvm')).toMatchObject({ confined: true, model: 'selinux' });
  });

  it('is not confined on a kernel without AppArmor, and says how to turn it on', () => {
    const c = confinementOf({ libvirtModels: ['none', 'dac'], apparmorEnabled: false, selinuxEnabled: false }, 'qemu');
    expect(c).toMatchObject({ confined: false });
    expect(c.model).toBeUndefined();
    expect(c.summary).toMatch(/neither AppArmor nor SELinux/);
    expect(c.fix).toMatch(/apt install apparmor apparmor-utils/);
    expect(c.fix).toMatch(/apparmor=1/);
    expect(c.fix).toMatch(/security_driver = "apparmor" in \/etc\/libvirt\/qemu\.conf/);
  });

  it('names libvirt as the gap when the kernel has AppArmor but libvirt does not use it', () => {
    const c = confinementOf({ libvirtModels: ['dac'], apparmorEnabled: true, selinuxEnabled: false }, 'kvm');
    expect(c).toMatchObject({ confined: false });
    expect(c.summary).toMatch(/kernel has AppArmor, but libvirt does not use it/);
  });

  it('is not confined under the test driver or when libvirt could not be asked', () => {
    expect(confinementOf({ libvirtModels: ['testSecurity'], apparmorEnabled: true, selinuxEnabled: false }, 'test')).toMatchObject({ confined: false, summary: expect.stringMatching(/test driver/) });
    expect(confinementOf(undefined, 'kvm')).toMatchObject({ confined: false, summary: expect.stringMatching(/none reported/) });
  });
});

describe('readKernelMac', () => {
  it('reads AppArmor from /sys/module/apparmor/parameters/enabled and SELinux from /sys/fs/selinux; absent is off', async () => {
    const { dir, cleanup } = await tempDir('hvs-sys-');
    try {
      expect(await readKernelMac(dir)).toEqual({ apparmorEnabled: false, selinuxEnabled: false });
      await mkdir(join(dir, 'module/apparmor/parameters'), { recursive: true });
      await writeFile(join(dir, 'module/apparmor/parameters/enabled'), 'N\n');
      expect(await readKernelMac(dir)).toEqual({ apparmorEnabled: false, selinuxEnabled: false });
      await writeFile(join(dir, 'module/apparmor/parameters/enabled'), 'Y\n');
      await mkdir(join(dir, 'fs/selinux'), { recursive: true });
      await writeFile(join(dir, 'fs/selinux/enforce'), '0');
      expect(await readKernelMac(dir)).toEqual({ apparmorEnabled: true, selinuxEnabled: true });
    } finally {
      await cleanup();
    }
  });
});
