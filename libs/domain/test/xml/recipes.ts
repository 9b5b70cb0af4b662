/**
 * The seed recipes (and a direct-kernel-boot VM) as VirtualMachine objects (as the controller stores them: with uid and
 * generation), and the host facts they render against. Golden files: ../golden/<name>.xml.
 */
import type { HostFacts, VirtualMachine } from '@hvs/domain';

export const HOST: HostFacts = {
  domainType: 'kvm',
  emulator: '/usr/bin/qemu-system-x86_64',
  pools: { default: { path: '/var/lib/hvs/pools/default' }, fast: { path: '/srv/nvme/hvs' } },
  networks: {
    lan: { bridge: 'br0' },
    nat: { libvirtNetwork: 'default' },
    'lab-net': { bridge: 'hvsbr-lab' },
    'test-isolated': { bridge: 'hvsbr-iso' },
  },
  images: {
    'win11-23h2': { path: '/var/lib/hvs/images/win11-23h2.iso', format: 'iso' },
    'virtio-win': { path: '/var/lib/hvs/images/virtio-win.iso', format: 'iso' },
    'ubuntu-24-04': { path: '/var/lib/hvs/images/ubuntu-24-04.qcow2', format: 'qcow2' },
  },
  consoleListen: '127.0.0.1',
};

/** Same host with explicit OVMF files (Debian's ovmf package) instead of firmware auto-selection. */
export const HOST_WITH_OVMF: HostFacts = {
  ...HOST,
  ovmf: { code: '/usr/share/OVMF/OVMF_CODE_4M.ms.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' },
};

const base = { apiVersion: 'hvs/v1', kind: 'VirtualMachine' } as const;

export const WINDOWS11_GPU: VirtualMachine = {
  ...base,
  metadata: { name: 'win11-gaming', uid: '7c9e6679-7425-40de-944b-e07fc1f90ae7', generation: 3, labels: { os: 'windows' } },
  spec: {
    cpu: { sockets: 1, cores: 8, threads: 2, model: 'host-passthrough' },
    memory: { size: '16GiB' },
    firmware: { type: 'uefi', secureBoot: true, tpm: true },
    disks: [{ name: 'system', size: '256GiB', bus: 'sata', boot: 1 }],
    cdrom: { image: 'win11-23h2', bus: 'sata' },
    networks: [{ name: 'eth0', network: 'lan', model: 'e1000', mac: '52:54:00:a1:b2:c3' }],
    devices: { hostdevs: [{ name: 'gpu', pciAddress: '0000:01:00.0' }, { name: 'gpu-audio', pciAddress: '0000:01:00.1' }] },
    runState: 'Running',
    console: { type: 'spice' },
  },
};

export const UBUNTU_CLOUD_INIT: VirtualMachine = {
  ...base,
  metadata: {
    name: 'web-1', uid: '2f1b4c3e-8d7a-4e6f-9b0c-1a2b3c4d5e6f', generation: 1,
    labels: { app: 'web', tier: 'frontend' }, annotations: { 'hvs.dev/owner': 'ops team <ops@example.com>' },
  },
  spec: {
    cpu: { cores: 2 },
    memory: { size: '4GiB' },
    disks: [{ name: 'root', size: '20GiB', image: 'ubuntu-24-04' }],
    networks: [{ name: 'eth0', network: 'nat' }],
    cloudInit: { userData: '#cloud-config\npackages: [nginx]\n', secretRefs: ['web-ssh-key'] },
    ha: { restartPolicy: 'Always' },
    runState: 'Running',
  },
};

export const ISOLATED_TEST: VirtualMachine = {
  ...base,
  // No uid: a preview render before the object is stored; the domain is named after metadata.name.
  metadata: { name: 'sandbox', generation: 1 },
  spec: {
    cpu: { cores: 1 }, // host-passthrough on a TCG host renders as mode='maximum'
    memory: { size: '1GiB' },
    firmware: { type: 'bios' },
    disks: [{ name: 'scratch', size: '8GiB', format: 'raw', bus: 'virtio' }],
    cdrom: { path: 'isos/tools.iso' },
    networks: [{ name: 'eth0', network: 'test-isolated', model: 'rtl8139', firewall: { policies: ['deny-all'] } }],
    runState: 'Running',
    console: { type: 'vnc', listen: '127.0.0.1' },
  },
};

export const DEV_LAB_MEMBER: VirtualMachine = {
  ...base,
  metadata: { name: 'lab-db-1', uid: 'b3e1f0a2-5c6d-4e7f-8a9b-0c1d2e3f4a5b', generation: 7, labels: { lab: 'dev', role: 'db' } },
  spec: {
    cpu: { cores: 4, model: 'host-model' },
    memory: { size: '8GiB' },
    disks: [
      { name: 'os', size: '30GiB', image: 'ubuntu-24-04', boot: 1 },
      { name: 'data', size: '100GiB', pool: 'fast', bus: 'scsi', format: 'raw', path: 'lab/db-data.raw' },
      { name: 'logs', size: '10GiB', pool: 'fast', bus: 'scsi' },
    ],
    networks: [
      { name: 'eth0', network: 'lab-net', mac: '52:54:00:00:0d:b1' },
      { name: 'eth1', network: 'nat' },
    ],
    cloudInit: { userData: '#cloud-config\n' },
    placement: { antiAffinity: [{ labelSelector: { lab: 'dev', role: 'db' } }] },
    dependsOn: ['lab-dns'],
    runState: 'Running',
    console: { type: 'vnc', listen: '0.0.0.0' },
  },
};

export const HPC_PINNED: VirtualMachine = {
  ...base,
  metadata: { name: 'hpc-node-1', uid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', generation: 2, labels: { workload: 'hpc' } },
  spec: {
    cpu: {
      sockets: 2, cores: 4, threads: 1, model: 'EPYC',
      pinning: [0, 1, 2, 3, 4, 5, 6, 7].map((v) => ({ vcpu: v, hostCpus: String(v + 4) })),
      numa: { cells: [{ id: 0, cpus: '0-3', memory: '16GiB' }, { id: 1, cpus: '4-7', memory: '16GiB' }] },
    },
    memory: { size: '32GiB', hugepages: { pageSize: '1GiB' } },
    disks: [{ name: 'root', size: '50GiB', image: 'ubuntu-24-04' }, { name: 'scratch', size: '500GiB', pool: 'fast', format: 'raw' }],
    networks: [{ name: 'eth0', network: 'lan', model: 'virtio' }],
    runState: 'Running',
  },
};

/** Direct kernel boot with no disk at all (a kernel + initrd from the pool), as the system test's tiny guest. */
export const KERNEL_BOOT: VirtualMachine = {
  ...base,
  metadata: { name: 'tiny', uid: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', generation: 1 },
  spec: {
    cpu: { cores: 1 },
    memory: { size: '128MiB' },
    boot: { kernel: 'kernels/vmlinuz-6.1', initrd: 'kernels/tiny-initrd.img', cmdline: "console=ttyS0 quiet panic=-1 hvs.note='<a&b>'" },
    disks: [],
    networks: [],
    runState: 'Running',
  },
};

/** NICs on an agent-made bridge (issue 13): a VLAN-tagged port (rendered only: realising it needs bridge VLAN filtering) and a vxlan MTU. */
export const TAGGED_NICS: VirtualMachine = {
  ...base,
  metadata: { name: 'tagged', uid: '5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f', generation: 1 },
  spec: {
    cpu: { cores: 1 },
    memory: { size: '256MiB' },
    disks: [],
    networks: [{ name: 'eth0', network: 'tagged-lan', mac: '52:54:00:10:20:30' }, { name: 'eth1', network: 'overlay', mac: '52:54:00:10:20:31' }],
    runState: 'Running',
  },
};

export const RECIPES: Record<string, { vm: VirtualMachine; host: HostFacts }> = {
  'windows11-gpu': { vm: WINDOWS11_GPU, host: HOST },
  'windows11-gpu-ovmf': { vm: WINDOWS11_GPU, host: HOST_WITH_OVMF },
  'ubuntu-cloud-init': { vm: UBUNTU_CLOUD_INIT, host: HOST },
  'isolated-test': { vm: ISOLATED_TEST, host: { ...HOST, domainType: 'qemu' } },
  'dev-lab-member': { vm: DEV_LAB_MEMBER, host: HOST },
  'hpc-pinned-numa': { vm: HPC_PINNED, host: HOST },
  'kernel-boot': { vm: KERNEL_BOOT, host: { ...HOST, domainType: 'qemu' } },
  // A host whose libvirt confines guests with AppArmor (sVirt): the domain carries its dynamic seclabel.
  'apparmor-confined': { vm: DEV_LAB_MEMBER, host: { ...HOST, securityModel: 'apparmor' } },
  'vlan-mtu-nics': { vm: TAGGED_NICS, host: { ...HOST, domainType: 'qemu', networks: { 'tagged-lan': { bridge: 'hvs-0a1b2c3d4e', vlan: 42 }, overlay: { bridge: 'hvs-5f6e7d8c9b', mtu: 1450 } } } },
};
