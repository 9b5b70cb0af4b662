/**
 * explicitPaths: every file a spec names by path, resolved in its pool exactly as the XML says
 * (the node agent checks these on the host), and the sVirt seclabel of a confining host.
 */
import { explicitPaths, HvsError, renderDomainXml, type VirtualMachine } from '@hvs/domain';
import { findAll, parseStrictXml, textOf } from './strict-xml';
import { DEV_LAB_MEMBER, HOST, ISOLATED_TEST, KERNEL_BOOT, UBUNTU_CLOUD_INIT } from './recipes';

describe('explicitPaths', () => {
  it('lists disk, kernel, initrd and cdrom paths with their field and pool, as rendered', () => {
    const vm: VirtualMachine = structuredClone(KERNEL_BOOT);
    vm.spec.disks = [{ name: 'data', pool: 'fast', format: 'raw', path: 'lab/./data.raw' }];
    vm.spec.cdrom = { path: '/var/lib/hvs/pools/default/isos/tools.iso' };
    const paths = explicitPaths(vm, HOST);
    expect(paths).toEqual([
      { field: 'spec.disks[0].path', pool: 'fast', poolPath: '/srv/nvme/hvs', path: '/srv/nvme/hvs/lab/data.raw' },
      { field: 'spec.boot.kernel', pool: 'default', poolPath: '/var/lib/hvs/pools/default', path: '/var/lib/hvs/pools/default/kernels/vmlinuz-6.1' },
      { field: 'spec.boot.initrd', pool: 'default', poolPath: '/var/lib/hvs/pools/default', path: '/var/lib/hvs/pools/default/kernels/tiny-initrd.img' },
      { field: 'spec.cdrom.path', pool: 'default', poolPath: '/var/lib/hvs/pools/default', path: '/var/lib/hvs/pools/default/isos/tools.iso' },
    ]);
    // The agent checks the very strings libvirt gets.
    const xml = parseStrictXml(renderDomainXml(vm, HOST));
    const rendered = [...findAll(xml, 'source').map((s) => s.attrs['file']), ...findAll(xml, 'kernel').map(textOf), ...findAll(xml, 'initrd').map(textOf)];
    for (const p of paths) expect(rendered).toContain(p.path);
  });

  it('lists nothing for agent-named volumes, images and the cloud-init seed', () => {
    expect(explicitPaths(UBUNTU_CLOUD_INIT, HOST)).toEqual([]);
    expect(explicitPaths(DEV_LAB_MEMBER, HOST).map((p) => p.field)).toEqual(['spec.disks[1].path']);
    expect(explicitPaths(ISOLATED_TEST, HOST).map((p) => p.field)).toEqual(['spec.cdrom.path']);
  });

  it('refuses `..` and absolute paths outside the pool before anything touches the host', () => {
    const vm: VirtualMachine = structuredClone(KERNEL_BOOT);
    vm.spec.boot = { kernel: 'kernels/../../../../etc/shadow' };
    expect(() => explicitPaths(vm, HOST)).toThrow(expect.objectContaining({ code: 'HVS-XML-PATH-ESCAPES', path: 'spec.boot.kernel' }) as HvsError);
    vm.spec.boot = { kernel: '/etc/shadow' };
    expect(() => explicitPaths(vm, HOST)).toThrow(expect.objectContaining({ code: 'HVS-XML-PATH-ESCAPES' }) as HvsError);
  });
});

describe('seclabel (sVirt)', () => {
  const seclabels = (securityModel?: 'apparmor' | 'selinux') =>
    findAll(parseStrictXml(renderDomainXml(KERNEL_BOOT, { ...HOST, ...(securityModel ? { securityModel } : {}) })), 'seclabel').map((e) => e.attrs);

  it('gives each VM a dynamic, relabelled label of the host model', () => {
    expect(seclabels('apparmor')).toEqual([{ type: 'dynamic', model: 'apparmor', relabel: 'yes' }]);
    expect(seclabels('selinux')).toEqual([{ type: 'dynamic', model: 'selinux', relabel: 'yes' }]);
  });

  it('renders no seclabel where the host has no MAC model', () => {
    expect(seclabels()).toEqual([]);
  });
});
