/**
 * Rules of renderDomainXml beyond the golden files: naming, defaults, derived values, and one
 * clear HvsError (code, path, fix) for every reference the host cannot resolve.
 */
import {
  cloudInitSeedName, cloudInitSeedPath, defaultMac, domainName, vmDomainName, volumeName, domainUuid, HvsError, renderDomainXml, tapName, type HostFacts, type VirtualMachine,
} from '@hvs/domain';
import { findAll, parseStrictXml, type ParsedElement } from './strict-xml';
import { DEV_LAB_MEMBER, HOST, HPC_PINNED, ISOLATED_TEST, UBUNTU_CLOUD_INIT, WINDOWS11_GPU } from './recipes';

const parse = (vm: VirtualMachine, host: HostFacts = HOST) => parseStrictXml(renderDomainXml(vm, host));
const attrs = (root: ParsedElement, name: string, attr: string) => findAll(root, name).map((e) => e.attrs[attr]);
const clone = (vm: VirtualMachine) => structuredClone(vm);

function errorOf(fn: () => unknown): HvsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HvsError) return e;
    throw e;
  }
  throw new Error('expected an HvsError, nothing was thrown');
}

describe('naming', () => {
  it('names the domain hvs-<uid> and uses a UUID uid as <uuid>; falls back to the name without uid', () => {
    expect(vmDomainName(UBUNTU_CLOUD_INIT)).toBe(domainName(UBUNTU_CLOUD_INIT.metadata.uid!));
    expect(domainUuid(UBUNTU_CLOUD_INIT)).toBe(UBUNTU_CLOUD_INIT.metadata.uid);
    expect(vmDomainName(ISOLATED_TEST)).toBe(domainName('sandbox'));
    expect(domainUuid(ISOLATED_TEST)).toBeUndefined();
    const vm = clone(ISOLATED_TEST);
    vm.metadata.uid = 'etcd-uid-42';
    expect(vmDomainName(vm)).toBe(domainName('etcd-uid-42'));
    expect(domainUuid(vm)).toBeUndefined();
    expect(findAll(parse(vm), 'uuid')).toHaveLength(0);
  });

  it('refuses a uid that cannot be part of a domain name', () => {
    const vm = clone(ISOLATED_TEST);
    vm.metadata.uid = '../x';
    expect(errorOf(() => renderDomainXml(vm, HOST))).toMatchObject({ code: 'HVS-XML-UID-INVALID', path: 'metadata.uid' });
  });

  it('derives stable, distinct MACs and tap names (<= 15 bytes) when none are given', () => {
    expect(defaultMac(UBUNTU_CLOUD_INIT, 0)).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(defaultMac(UBUNTU_CLOUD_INIT, 0)).toBe(defaultMac(clone(UBUNTU_CLOUD_INIT), 0));
    expect(defaultMac(UBUNTU_CLOUD_INIT, 0)).not.toBe(defaultMac(UBUNTU_CLOUD_INIT, 1));
    expect(defaultMac(UBUNTU_CLOUD_INIT, 0)).not.toBe(defaultMac(DEV_LAB_MEMBER, 0));
    expect(tapName(UBUNTU_CLOUD_INIT, 99).length).toBeLessThanOrEqual(15);
    expect(tapName(UBUNTU_CLOUD_INIT, 0)).not.toBe(tapName(DEV_LAB_MEMBER, 0));
    expect(attrs(parse(DEV_LAB_MEMBER), 'mac', 'address')).toEqual(['52:54:00:00:0d:b1', defaultMac(DEV_LAB_MEMBER, 1)]);
  });
});

describe('rendering rules', () => {
  it('takes the domain type from the host and maps host-passthrough to maximum under TCG', () => {
    const kvm = parse(UBUNTU_CLOUD_INIT, HOST);
    const tcg = parse(UBUNTU_CLOUD_INIT, { ...HOST, domainType: 'qemu' });
    expect([kvm.attrs['type'], findAll(kvm, 'cpu')[0]!.attrs['mode']]).toEqual(['kvm', 'host-passthrough']);
    expect([tcg.attrs['type'], findAll(tcg, 'cpu')[0]!.attrs['mode']]).toEqual(['qemu', 'maximum']);
    expect(attrs(parse(HPC_PINNED), 'cpu', 'mode')).toEqual(['custom']);
  });

  it('names targets per bus: virtio vdX, sata and scsi share sdX, cdrom after the disks, the seed the last vdX (a read-only virtio disk)', () => {
    const root = parse(DEV_LAB_MEMBER);
    expect(attrs(root, 'target', 'dev').filter((d) => /^[vs]d/.test(d ?? ''))).toEqual(['vda', 'sda', 'sdb', 'vdb']);
    const seed = findAll(root, 'disk').at(-1)!;
    expect([seed.attrs['device'], findAll(seed, 'target')[0]!.attrs['bus'], findAll(seed, 'readonly').length]).toEqual(['disk', 'virtio', 1]);
    expect(attrs(root, 'controller', 'model')).toEqual(['virtio-scsi']);
    expect(attrs(parse(UBUNTU_CLOUD_INIT), 'controller', 'model')).toEqual([]);
  });

  it('always writes the disk format, joins pool paths, and names unnamed disks hvs-<uid>-<disk>.<fmt>', () => {
    const root = parse(DEV_LAB_MEMBER);
    expect(attrs(root, 'driver', 'type')).toEqual(['qcow2', 'raw', 'qcow2', 'raw']);
    const uid = DEV_LAB_MEMBER.metadata.uid;
    expect(attrs(root, 'source', 'file')).toEqual([
      `/var/lib/hvs/pools/default/${volumeName(uid!, 'os')}`, '/srv/nvme/hvs/lab/db-data.raw', `/srv/nvme/hvs/${volumeName(uid!, 'logs')}`,
      `/var/lib/hvs/pools/default/${cloudInitSeedName(uid!)}`,
    ]);
    expect(cloudInitSeedPath(DEV_LAB_MEMBER, HOST)).toBe(`/var/lib/hvs/pools/default/${cloudInitSeedName(uid!)}`);
    expect(cloudInitSeedPath(HPC_PINNED, HOST)).toBeUndefined();
  });

  it('boots the first disk then the cdrom when no disk says boot; explicit orders are kept', () => {
    expect(attrs(parse(ISOLATED_TEST), 'boot', 'order')).toEqual(['1', '2']);
    const vm = clone(DEV_LAB_MEMBER);
    vm.spec.disks[0]!.boot = 2;
    vm.spec.disks[2]!.boot = 1;
    vm.spec.cdrom = { image: 'virtio-win' };
    expect(attrs(parse(vm), 'boot', 'order')).toEqual(['2', '1', '3']);
    vm.spec.disks[1]!.boot = 1;
    expect(errorOf(() => renderDomainXml(vm, HOST))).toMatchObject({ code: 'HVS-XML-BOOT-ORDER-DUPLICATE', path: 'spec.disks[2].boot' });
  });

  it('renders UEFI by auto-selection or explicit OVMF, Secure Boot with SMM, and a TPM 2.0 CRB', () => {
    const auto = parse(WINDOWS11_GPU);
    expect(findAll(auto, 'os')[0]!.attrs['firmware']).toBe('efi');
    expect(findAll(auto, 'smm')).toHaveLength(1);
    expect(attrs(auto, 'tpm', 'model')).toEqual(['tpm-crb']);
    const explicit = parse(WINDOWS11_GPU, { ...HOST, ovmf: { code: '/c.fd', vars: '/v.fd' } });
    expect(findAll(explicit, 'loader')[0]!.attrs).toEqual({ readonly: 'yes', secure: 'yes', type: 'pflash' });
    expect(attrs(explicit, 'nvram', 'template')).toEqual(['/v.fd']);
    const bios = clone(WINDOWS11_GPU);
    bios.spec.firmware = { type: 'bios', secureBoot: true };
    expect(errorOf(() => renderDomainXml(bios, HOST)).code).toBe('HVS-XML-SECUREBOOT-NEEDS-UEFI');
  });

  it('resolves a hostdev given by vendor:device to distinct free host devices', () => {
    const vm = clone(WINDOWS11_GPU);
    vm.spec.devices = { hostdevs: [{ name: 'a', vendorDevice: '10de:2204' }, { name: 'b', vendorDevice: '10de:2204' }] };
    const host: HostFacts = { ...HOST, pciDevices: [
      { pciAddress: '0000:41:00.0', vendorDevice: '10de:2204' }, { pciAddress: '0000:42:00.0', vendorDevice: '10DE:2204' },
    ] };
    expect(attrs(parse(vm, host), 'address', 'bus')).toEqual(['0x41', '0x42']);
    vm.spec.devices.hostdevs!.push({ name: 'c', vendorDevice: '10de:2204' });
    expect(errorOf(() => renderDomainXml(vm, host))).toMatchObject({ code: 'HVS-XML-HOSTDEV-UNRESOLVED', path: 'spec.devices.hostdevs[2]' });
  });

  it('checks hugepage alignment and that NUMA cells add up to the memory size', () => {
    const vm = clone(HPC_PINNED);
    vm.spec.memory.size = '32.5GiB'; // not a whole number of 1GiB pages
    expect(errorOf(() => renderDomainXml(vm, HOST)).code).toBe('HVS-XML-HUGEPAGES-UNALIGNED');
    vm.spec.memory.hugepages = undefined;
    expect(errorOf(() => renderDomainXml(vm, HOST)).code).toBe('HVS-XML-NUMA-MEMORY-MISMATCH');
  });
});

describe('NUMA rules libvirt enforces at define are caught at render', () => {
  // Each mirrors a test-driver define failure seen on libvirt 9.0 (see docs/architecture/domain-xml.md).
  const cases: [string, (c: { id: number; cpus: string; memory: string }[]) => void, string][] = [
    ['ids not 0..n-1 ("non-contiguous ranges ... not allowed")', (c) => { c[1]!.id = 2; }, 'HVS-XML-NUMA-CELL-ID'],
    ['repeated id', (c) => { c[1]!.id = 0; }, 'HVS-XML-NUMA-CELL-ID'],
    ['cpus beyond the vCPU count ("Number of CPUs in <numa> exceeds the <vcpu> count")', (c) => { c[1]!.cpus = '4-9'; }, 'HVS-XML-NUMA-CPUS-INVALID'],
    ['overlapping cells ("NUMA cells 1 and 0 have overlapping vCPU ids")', (c) => { c[1]!.cpus = '3-7'; }, 'HVS-XML-NUMA-CPUS-INVALID'],
    ['unparseable cpus', (c) => { c[0]!.cpus = 'a-b'; }, 'HVS-XML-NUMA-CPUS-INVALID'],
  ];
  it.each(cases)('%s', (_what, mutate, code) => {
    const vm = clone(HPC_PINNED);
    mutate(vm.spec.cpu.numa!.cells);
    expect(errorOf(() => renderDomainXml(vm, HOST)).code).toBe(code);
  });
});

describe('unresolvable references give one clear HvsError with a fix', () => {
  const cases: [string, (vm: VirtualMachine) => void, string, string][] = [
    ['pool', (vm) => { vm.spec.disks[0]!.pool = 'nvme'; }, 'HVS-XML-POOL-UNKNOWN', 'spec.disks[0].pool'],
    ['network', (vm) => { vm.spec.networks[0]!.network = 'dmz'; }, 'HVS-XML-NETWORK-UNKNOWN', 'spec.networks[0].network'],
    ['image', (vm) => { vm.spec.cdrom = { image: 'win10' }; }, 'HVS-XML-IMAGE-UNKNOWN', 'spec.cdrom.image'],
    ['qcow2 image as cdrom', (vm) => { vm.spec.cdrom = { image: 'ubuntu-24-04' }; }, 'HVS-XML-IMAGE-FORMAT', 'spec.cdrom.image'],
    ['path outside the pool', (vm) => { vm.spec.disks[0]!.path = '../../etc/shadow'; }, 'HVS-XML-PATH-ESCAPES', 'spec.disks[0].path'],
    ['absolute path outside the pool', (vm) => { vm.spec.disks[0]!.path = '/etc/shadow'; }, 'HVS-XML-PATH-ESCAPES', 'spec.disks[0].path'],
    ['prototype key as pool', (vm) => { vm.spec.disks[0]!.pool = 'constructor'; }, 'HVS-XML-POOL-UNKNOWN', 'spec.disks[0].pool'],
  ];
  it.each(cases)('%s', (_what, mutate, code, path) => {
    const vm = clone(UBUNTU_CLOUD_INIT);
    mutate(vm);
    const err = errorOf(() => renderDomainXml(vm, HOST));
    expect(err).toMatchObject({ code, path });
    expect(err.message.length).toBeGreaterThan(10);
    expect(err.why).toBeTruthy();
    expect(err.fix.length).toBeGreaterThan(10);
  });

  it('accepts an absolute path that lies inside the pool and normalises it', () => {
    const vm = clone(UBUNTU_CLOUD_INIT);
    vm.spec.disks[0]!.path = '/var/lib/hvs/pools/default/./vms//root.qcow2';
    expect(attrs(parse(vm), 'source', 'file')[0]).toBe('/var/lib/hvs/pools/default/vms/root.qcow2');
  });
});
