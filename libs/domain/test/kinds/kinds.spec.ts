import { KINDS, KIND_NAMES, resolveKind, VirtualMachineSchema, vcpuCount, type VirtualMachine } from '../../src/kinds';

const vm = {
  apiVersion: 'hvs/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'web-1', labels: { app: 'web' } },
  spec: {
    cpu: { cores: 2 },
    memory: { size: '4GiB' },
    disks: [{ name: 'root', size: '20GiB', image: 'ubuntu-24-04' }],
    networks: [{ name: 'nic0', network: 'default', mac: '52:54:00:12:34:56' }],
  },
};

describe('kinds', () => {
  it('parses a minimal VM and applies the runState default', () => {
    const parsed: VirtualMachine = VirtualMachineSchema.parse(vm);
    expect(parsed.spec.runState).toBe('Running');
    expect(vcpuCount(parsed.spec.cpu)).toBe(2);
  });

  it('rejects unknown fields at every level (strict objects)', () => {
    const bad = { ...vm, spec: { ...vm.spec, disks: [{ ...vm.spec.disks[0], sise: '1GiB' }] } };
    const r = VirtualMachineSchema.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['sise'], path: ['spec', 'disks', 0] });
    expect(VirtualMachineSchema.safeParse({ ...vm, extra: 1 }).success).toBe(false);
  });

  it('has a registry entry with short names for every kind', () => {
    expect(Object.keys(KINDS).sort()).toEqual([...KIND_NAMES].sort());
    const shorts = ['vm', 'vms', 'node', 'net', 'fwp', 'img', 'pool', 'bp', 'backup', 'snap', 'mig'];
    for (const s of shorts) expect(resolveKind(s)).toBeDefined();
    expect(resolveKind('VMS')).toBe('VirtualMachine');
    expect(resolveKind('firewallpolicies')).toBe('FirewallPolicy');
    expect(resolveKind('nope')).toBeUndefined();
  });
});
