import { formatProblem, type Problem } from '../../src/errors';
import { validateBatch, validateKind, validateResource } from '../../src/validation';

const vm = (spec: Record<string, unknown> = {}, name = 'web-1') => ({
  apiVersion: 'hvs/v1',
  kind: 'VirtualMachine',
  metadata: { name },
  spec: {
    cpu: { cores: 2 },
    memory: { size: '4GiB' },
    disks: [{ name: 'root', size: '20GiB' }],
    networks: [{ name: 'eth0', network: 'default' }],
    ...spec,
  },
});

function problemsOf(input: unknown): Problem[] {
  const r = validateResource(input);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}
const codes = (input: unknown) => problemsOf(input).map((p) => p.code).sort();

describe('validateResource', () => {
  it('accepts a valid VM and fills defaults', () => {
    const r = validateResource(vm());
    expect(r.ok && r.value.kind === 'VirtualMachine' && r.value.spec.runState).toBe('Running');
  });

  it('writes the message the way the issue asks', () => {
    const [p] = problemsOf(vm({}, 'Web_1'));
    expect(formatProblem(p!)).toBe(
      `HVS-VM-NAME-INVALID: metadata.name: "Web_1" is not a valid name: names must be DNS labels (lowercase letters, digits and '-', start and end alphanumeric, at most 63 characters); fix: use e.g. "web-1"`,
    );
  });

  it('uses the kind in the metadata.name code', () => {
    const net = { apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'LAN' }, spec: { mode: 'nat' } };
    expect(codes(net)).toEqual(['HVS-NET-NAME-INVALID']);
  });

  it('reports every problem at once, schema and cross-field together', () => {
    const bad = vm(
      {
        cpu: { cores: 0 },
        memory: { size: '4G' },
        firmware: { type: 'bios', secureBoot: true },
        disks: [{ name: 'root', sise: '1GiB', size: '1GiB' }, { name: 'root', size: '1GiB', path: '../x' }],
        networks: [{ name: 'eth0', network: 'Default', mac: '01:00:00:00:00:01' }],
        dependsOn: ['web-1'],
      },
      'web-1',
    );
    expect(codes(bad)).toEqual(
      [
        'HVS-CPU-INVALID',
        'HVS-SIZE-INVALID',
        'HVS-FIELD-UNKNOWN',
        'HVS-PATH-ESCAPES-POOL',
        'HVS-NAME-INVALID',
        'HVS-MAC-INVALID',
        'HVS-VM-SECUREBOOT-REQUIRES-UEFI',
        'HVS-VM-DISK-DUPLICATE',
        'HVS-VM-DEPENDS-ON-SELF',
      ].sort(),
    );
  });

  it('suggests the field a typo meant', () => {
    const p = problemsOf(vm({ disks: [{ name: 'root', sise: '1GiB' }] })).find((x) => x.code === 'HVS-FIELD-UNKNOWN')!;
    expect(p.path).toBe('spec.disks[0].sise');
    expect(p.message).toContain('did you mean "size"?');
    expect(p.fix).toBe('rename it to "size"');
    const top = problemsOf({ ...vm(), metdata: {} }).find((x) => x.code === 'HVS-FIELD-UNKNOWN')!;
    expect(top.message).toContain('did you mean "metadata"?');
  });

  it('suggests enum values and kinds', () => {
    const p = problemsOf(vm({ runState: 'running' }))[0]!;
    expect(p).toMatchObject({ code: 'HVS-FIELD-ENUM', path: 'spec.runState', fix: 'use "Running"' });
    const k = problemsOf({ ...vm(), kind: 'vm' })[0]!;
    expect(k).toMatchObject({ code: 'HVS-KIND-UNKNOWN', fix: 'set kind: VirtualMachine' });
    expect(problemsOf({ ...vm(), kind: 'Virtualmachine' })[0]!.fix).toBe('set kind: VirtualMachine');
  });

  it('reports missing fields and wrong types', () => {
    const { memory: _m, ...spec } = vm().spec;
    const r = problemsOf({ ...vm(), spec: { ...spec, cpu: { cores: '2' } } });
    expect(r.map((p) => `${p.code} ${p.path}`).sort()).toEqual(['HVS-FIELD-REQUIRED spec.memory', 'HVS-FIELD-TYPE spec.cpu.cores']);
  });

  it('never echoes cloud-init user data', () => {
    for (const userData of [{ password: 'hunter2' }, 'x'.repeat(300_000) + 'hunter2', ['hunter2']]) {
      const text = problemsOf(vm({ cloudInit: { userData } })).map(formatProblem).join('\n');
      expect(text).toContain('(value hidden)');
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('xxxxxxxx');
    }
  });

  it('checks semantic VM rules', () => {
    expect(codes(vm({ cpu: { cores: 2, pinning: [{ vcpu: 2, hostCpus: '1' }] } }))).toEqual(['HVS-VM-PINNING-INVALID']);
    expect(codes(vm({ cpu: { cores: 2, pinning: [{ vcpu: 1, hostCpus: '1' }, { vcpu: 1, hostCpus: '2' }] } }))).toEqual(['HVS-VM-PINNING-INVALID']);
    const numa = (memory: string, cpus = '1') => vm({ cpu: { cores: 2, numa: { cells: [{ id: 0, cpus: '0', memory: '2GiB' }, { id: 1, cpus, memory }] } } });
    expect(validateResource(numa('2GiB')).ok).toBe(true);
    expect(codes(numa('1GiB'))).toEqual(['HVS-VM-NUMA-INVALID']);
    expect(codes(numa('2GiB', '2'))).toEqual(['HVS-VM-NUMA-INVALID']);
    expect(codes(numa('2GiB', '0-1'))).toEqual(['HVS-VM-NUMA-INVALID']);
    expect(codes(vm({ memory: { size: '1536MiB', hugepages: { pageSize: '1GiB' } } }))).toEqual(['HVS-VM-HUGEPAGES-MISALIGNED']);
    expect(codes(vm({ cpu: { cores: 64, sockets: 4, threads: 4 } }))).toEqual(['HVS-CPU-INVALID']);
    expect(codes(vm({ disks: [{ name: 'a' }] }))).toEqual(['HVS-VM-DISK-SOURCE-MISSING']);
    expect(codes(vm({ cdrom: { bus: 'sata' } }))).toEqual(['HVS-VM-CDROM-SOURCE-MISSING']);
    expect(codes(vm({ networks: [{ name: 'a', network: 'n' }, { name: 'a', network: 'n' }] }))).toEqual(['HVS-VM-NIC-DUPLICATE']);
    expect(codes(vm({ networks: [{ name: 'a', network: 'n', mac: '52:54:00:00:00:01' }, { name: 'b', network: 'n', mac: '52:54:00:00:00:01' }] }))).toEqual([
      'HVS-VM-MAC-DUPLICATE',
    ]);
    expect(codes(vm({ devices: { hostdevs: [{ name: 'gpu' }] } }))).toEqual(['HVS-VM-HOSTDEV-UNSPECIFIED']);
    expect(codes(vm({ disks: [{ name: 'a', size: '1GiB', boot: 1 }, { name: 'b', size: '1GiB', boot: 1 }] }))).toEqual(['HVS-VM-BOOT-ORDER-INVALID']);
    expect(validateResource(vm({ firmware: { type: 'uefi', secureBoot: true, tpm: true } })).ok).toBe(true);
  });

  it('checks the other kinds', () => {
    const net = (spec: object) => ({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'n' }, spec });
    expect(codes(net({ mode: 'bridge' }))).toEqual(['HVS-NET-BRIDGE-REQUIRED']);
    expect(codes(net({ mode: 'nat', subnet: '10.0.0.0/24', gateway: '10.0.1.1' }))).toEqual(['HVS-NET-GATEWAY-OUTSIDE-SUBNET']);
    expect(codes(net({ mode: 'nat', subnet: '10.0.0.0/24', dhcp: { start: '10.0.0.200', end: '10.0.0.100' } }))).toEqual(['HVS-NET-DHCP-INVALID']);
    expect(codes(net({ mode: 'nat', dhcp: { start: '10.0.0.1', end: '10.0.0.2' } }))).toEqual(['HVS-NET-DHCP-INVALID']);
    expect(codes(net({ mode: 'nat', vlan: 4095 }))).toEqual(['HVS-NET-VLAN-INVALID']);
    const img = (spec: object) => ({ apiVersion: 'hvs/v1', kind: 'Image', metadata: { name: 'i' }, spec });
    expect(codes(img({ source: {}, sha256: 'a'.repeat(64), format: 'iso' }))).toEqual(['HVS-IMAGE-SOURCE-MISSING']);
    expect(validateResource(img({ source: { upload: true }, format: 'iso' })).ok).toBe(true);
    expect(codes(img({ source: { url: 'https://x.example/a.iso' }, format: 'iso' }))).toEqual(['HVS-IMAGE-DIGEST-MISSING']);
    expect(codes(img({ source: { url: 'https://x.example/a.iso' }, sha256: 'a'.repeat(64), sha512: 'b'.repeat(128), format: 'iso' }))).toEqual(['HVS-IMAGE-DIGEST-CONFLICT']);
    expect(codes(img({ source: { url: 'https://x.example/a.iso' }, sha256: 'a'.repeat(64), allowUnverified: true, format: 'iso' }))).toEqual(['HVS-IMAGE-DIGEST-CONFLICT']);
    expect(codes(img({ source: { url: 'https://x.example/a.iso' }, sha512: 'z'.repeat(128), format: 'iso' }))).toEqual(['HVS-IMAGE-SHA512-INVALID']);
    expect(validateResource(img({ source: { url: 'https://x.example/a.iso' }, allowUnverified: true, format: 'iso' })).ok).toBe(true);
    expect(codes(net({ mode: 'vxlan', subnet: '10.0.0.0/24' }))).toEqual(['HVS-NET-VXLAN-INVALID']);
    expect(codes(net({ mode: 'nat', subnet: '10.0.0.0/24', vxlan: { vni: 5 } }))).toEqual(['HVS-NET-VXLAN-INVALID']);
    expect(codes(net({ mode: 'isolated', subnet: '10.0.0.0/24', portForwards: [{ hostPort: 80, vm: 'a', port: 80 }] }))).toEqual(['HVS-NET-MODE-FIELD']);
    expect(codes(net({ mode: 'bridge', bridge: 'br0', subnet: '10.0.0.0/24' }))).toEqual(['HVS-NET-MODE-FIELD']);
    expect(codes(net({ mode: 'nat', subnet: '10.0.0.0/24', mtu: 100 }))).toEqual(['HVS-NET-MTU-INVALID']);
    const pool = (spec: object) => ({ apiVersion: 'hvs/v1', kind: 'StoragePool', metadata: { name: 'p' }, spec });
    expect(codes(pool({ type: 'dir' }))).toEqual(['HVS-POOL-PATH-REQUIRED']);
    expect(codes(pool({ type: 'zfs' }))).toEqual(['HVS-POOL-SOURCE-REQUIRED']);
    expect(codes(pool({ type: 'dir', path: 'relative/dir' }))).toEqual(['HVS-PATH-INVALID']);
    const bp = (spec: object) => ({ apiVersion: 'hvs/v1', kind: 'BackupPolicy', metadata: { name: 'b' }, spec });
    expect(codes(bp({ schedule: '@daily', mode: 'full', retention: {}, target: { type: 's3' } }))).toEqual(['HVS-BACKUP-RETENTION-INVALID', 'HVS-BACKUP-TARGET-INCOMPLETE']);
    const fwp = { apiVersion: 'hvs/v1', kind: 'FirewallPolicy', metadata: { name: 'f' }, spec: { selector: {}, rules: [{ direction: 'in', ports: [22], action: 'drop' }] } };
    expect(codes(fwp)).toEqual(['HVS-FWP-PORTS-NEED-PROTOCOL']);
    const mig = { apiVersion: 'hvs/v1', kind: 'Migration', metadata: { name: 'm' }, spec: { vm: 'web-1', maxDowntime: '300' } };
    expect(codes(mig)).toEqual(['HVS-DURATION-INVALID']);
    const okMig = validateKind('Migration', { ...mig, spec: { vm: 'web-1', maxDowntime: '300ms' } });
    expect(okMig.ok && okMig.value.spec.mode).toBe('live');
    expect(validateKind('Node', mig).ok).toBe(false);
  });

  it('never throws and refuses non-objects', () => {
    for (const x of [null, undefined, 1, 'x', [], [vm()], Object.create(null), new Date(0), { kind: {} }]) {
      const r = validateResource(x);
      expect(r.ok).toBe(false);
    }
  });
});

describe('validateBatch', () => {
  it('reports duplicates with both locations and keeps other problems', () => {
    const r = validateBatch([
      { doc: vm(), file: 'a.yaml', index: 1, line: 1 },
      { doc: vm({ cpu: { cores: 0 } }), file: 'b.yaml', index: 3, line: 40 },
    ]);
    if (r.ok) throw new Error('accepted');
    expect(r.problems.map((p) => p.code).sort()).toEqual(['HVS-BATCH-DUPLICATE-NAME', 'HVS-CPU-INVALID']);
    const dup = r.problems.find((p) => p.code === 'HVS-BATCH-DUPLICATE-NAME')!;
    expect(dup.path).toBe('b.yaml: document 3 (line 40): metadata.name');
    expect(dup.message).toBe('VirtualMachine/web-1 appears more than once in the batch (first at a.yaml: document 1 (line 1))');
  });

  it('allows one name across different kinds', () => {
    const net = { apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'web-1' }, spec: { mode: 'nat' } };
    const r = validateBatch([{ doc: vm() }, { doc: net }]);
    expect(r.ok && r.value.length).toBe(2);
  });
});
