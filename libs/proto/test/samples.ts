// One realistic object per kind (MODEL.md shapes), used by the round-trip tests;
// roundtrip.spec.ts checks each against the domain schema first.
import type { UnvalidatedResource } from '../src/convert/object';

const meta = (name: string, extra: Partial<UnvalidatedResource['metadata']> = {}): UnvalidatedResource['metadata'] => ({
  name, uid: `uid-${name}`, generation: 3, resourceVersion: '1042', creationTimestamp: '2025-01-02T03:04:05.678Z', ...extra,
});

export const SAMPLES: UnvalidatedResource[] = [
  {
    apiVersion: 'hvs/v1', kind: 'VirtualMachine',
    metadata: meta('web-1', { labels: { app: 'web', tier: 'front' }, annotations: { 'hvs.io/note': 'quote " < & ]]>' }, finalizers: ['hvs.io/domain'] }),
    spec: {
      cpu: { cores: 4, sockets: 1, threads: 2, model: 'host-passthrough', pinning: [{ vcpu: 0, hostCpus: '2-3,6' }] },
      memory: { size: '8GiB', hugepages: { pageSize: '2MiB' } },
      firmware: { type: 'uefi', secureBoot: true, tpm: true },
      disks: [{ name: 'root', size: '40GiB', image: 'debian-12', pool: 'default', bus: 'virtio', format: 'qcow2', boot: 1 }],
      networks: [{ name: 'eth0', network: 'lan', mac: '52:54:00:12:34:56', model: 'virtio', firewall: { policies: ['web'] } }],
      cloudInit: { userData: '#cloud-config\npackages: [nginx]\n', secretRefs: ['ssh-key'] },
      devices: { hostdevs: [{ name: 'gpu', pciAddress: '0000:01:00.0' }] },
      placement: { nodeSelector: { zone: 'a' }, antiAffinity: [{ labelSelector: { app: 'web' }, required: true }], strategy: 'spread' },
      ha: { restartPolicy: 'Always', priority: 10 }, runState: 'Running', dependsOn: ['db-1'], console: { type: 'vnc', listen: '127.0.0.1' },
    },
    status: {
      phase: 'Running', node: 'host-a', observedGeneration: 3, ips: ['10.0.0.5', 'fe80::1'],
      conditions: [{ type: 'Ready', status: 'True', reason: 'Running', lastTransitionTime: '2025-01-02T03:05:00Z' }],
      console: { type: 'vnc', host: '127.0.0.1', port: 5900 },
    },
  },
  {
    apiVersion: 'hvs/v1', kind: 'Node', metadata: meta('host-a', { labels: { zone: 'a' } }),
    spec: { address: '10.0.0.2:7443', cordoned: false, overcommit: { cpu: 4, memory: 1.5 } },
    status: { capacity: { cpus: 32, memoryBytes: 137438953472 }, hypervisor: { mode: 'kvm', uri: 'qemu:///system' }, agentVersion: '0.1.0' },
  },
  { apiVersion: 'hvs/v1', kind: 'Network', metadata: meta('lan'),
    spec: { mode: 'nat', bridge: 'hvsbr0', vlan: 12, subnet: '10.0.0.0/24', gateway: '10.0.0.1', dhcp: { start: '10.0.0.100', end: '10.0.0.200' } } },
  { apiVersion: 'hvs/v1', kind: 'FirewallPolicy', metadata: meta('web'),
    spec: { selector: { app: 'web' }, defaultAction: 'drop',
      rules: [{ direction: 'in', protocol: 'tcp', ports: [80, 443, '8000-8080'], cidrs: ['0.0.0.0/0'], action: 'accept', comment: 'http' }] } },
  { apiVersion: 'hvs/v1', kind: 'Image', metadata: meta('debian-12'),
    spec: { source: { url: 'https://cloud.debian.org/images/debian-12.qcow2' }, sha256: 'a'.repeat(64), format: 'qcow2' },
    status: { phase: 'Ready', digest: `sha256:${'a'.repeat(64)}`, nodes: [{ node: 'host-a', phase: 'Ready', cached: true, verified: true, bytes: 10, totalBytes: 10 }] } },
  { apiVersion: 'hvs/v1', kind: 'StoragePool', metadata: meta('default'), spec: { type: 'dir', path: '/var/lib/hvs/pools/default', shared: false } },
  { apiVersion: 'hvs/v1', kind: 'BackupPolicy', metadata: meta('nightly'),
    spec: { schedule: '0 2 * * *', mode: 'incremental', retention: { keepLast: 7, keepDaily: 14, keepWeekly: 8 },
      target: { type: 's3', bucket: 'backups', endpoint: 'https://s3.example', secretRef: 's3-creds' }, verify: true } },
  { apiVersion: 'hvs/v1', kind: 'Backup', metadata: meta('web-1-20250102'), spec: { vm: 'web-1', policy: 'nightly', parent: 'web-1-20250101', mode: 'incremental' },
    status: { phase: 'Completed', sizeBytes: 1048576, sha256: 'b'.repeat(64), verified: true } },
  { apiVersion: 'hvs/v1', kind: 'Snapshot', metadata: meta('before-upgrade', { deletionTimestamp: '2025-02-01T00:00:00Z' }),
    spec: { vm: 'web-1', description: 'before the upgrade', memory: true } },
  { apiVersion: 'hvs/v1', kind: 'Migration', metadata: meta('web-1-move'),
    spec: { vm: 'web-1', targetNode: 'host-b', mode: 'live', maxDowntime: '300ms', copyStorage: true },
    status: { phase: 'Running', sourceNode: 'host-a', targetNode: 'host-b', progress: { bytesTotal: 8589934592, bytesDone: 1073741824, dirtyRate: 1.5e6 } } },
  { apiVersion: 'hvs/v1', kind: 'Secret', metadata: meta('db-creds'), spec: { data: { password: 'hunter2', 'ca.pem': '-----BEGIN CERTIFICATE-----\n' } } },
];
