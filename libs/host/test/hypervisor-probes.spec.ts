import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideHypervisor } from '@hvs/domain';
import { kvmUsable, libvirtdReachable, probeHypervisorFacts } from '../src';

describe('hypervisor probes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hvs-host-'));
    await writeFile(join(dir, 'kvm'), '');
    await writeFile(join(dir, 'cpuinfo-vmx'), 'flags\t\t: fpu vme vmx sse\n');
    await writeFile(join(dir, 'cpuinfo-pvm'), 'flags\t\t: fpu vme sse hypervisor\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('KVM is usable only with a read-write /dev/kvm AND vmx/svm in the CPU flags', async () => {
    await expect(kvmUsable(join(dir, 'kvm'), join(dir, 'cpuinfo-vmx'))).resolves.toBe(true);
    await expect(kvmUsable(join(dir, 'kvm'), join(dir, 'cpuinfo-pvm'))).resolves.toBe(false);
    await expect(kvmUsable(join(dir, 'no-kvm'), join(dir, 'cpuinfo-vmx'))).resolves.toBe(false);
    await expect(kvmUsable(join(dir, 'kvm'), join(dir, 'no-cpuinfo'))).resolves.toBe(false);
  });

  it('a libvirt URI nobody answers on is unreachable (false, not an error)', async () => {
    await expect(libvirtdReachable('qemu+unix:///system?socket=' + join(dir, 'absent.sock'), 5_000)).resolves.toBe(false);
  });

  it('probes both facts once, asking libvirtd on qemu:///system, and feeds the shared decision', async () => {
    const asked: string[] = [];
    const facts = await probeHypervisorFacts({ kvmUsable: async () => false, libvirtdReachable: async (uri) => (asked.push(uri), true) });
    expect(facts).toEqual({ kvmUsable: false, libvirtdReachable: true });
    expect(asked).toEqual(['qemu:///system']);
    expect(decideHypervisor('auto', facts)).toMatchObject({ mode: 'qemu' });
  });
});
