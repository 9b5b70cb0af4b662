/**
 * spec.boot (direct kernel boot) and the serial console log: what validation accepts and
 * refuses (with stable codes and a what/why/fix), what the renderer writes, and that a change
 * of it needs a restart.
 */
import { formatProblem, type Problem } from '../../src/errors';
import { planObject } from '../../src/planning';
import { validateResource } from '../../src/validation';
import { domainName, vmDomainName, renderDomainXml, serialLogPath, type VirtualMachine } from '../../src';
import { HOST, KERNEL_BOOT } from '../xml/recipes';

const vm = (boot: unknown) => ({
  apiVersion: 'hvs/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'tiny' },
  spec: { cpu: { cores: 1 }, memory: { size: '128MiB' }, disks: [], networks: [], boot },
});

function problemsOf(input: unknown): Problem[] {
  const r = validateResource(input);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('spec.boot validation', () => {
  it('accepts a kernel, initrd and cmdline in a pool, with no disk at all', () => {
    const r = validateResource(vm({ kernel: 'kernels/vmlinuz', initrd: 'kernels/initrd.img', cmdline: 'console=ttyS0 quiet', pool: 'fast' }));
    expect(r.ok).toBe(true);
  });

  it.each([
    ['an absolute host path', '/etc/shadow'],
    ['a ".." segment', 'kernels/../../etc/shadow'],
    ['an empty path', ''],
    ['a "." segment', 'kernels/./vmlinuz'],
    ['a control character', 'kernels/vm\nlinuz'],
  ])('refuses %s as kernel or initrd with HVS-VM-BOOT-PATH-INVALID', (_what, path) => {
    for (const field of ['kernel', 'initrd'] as const) {
      const boot = field === 'kernel' ? { kernel: path } : { kernel: 'k/vmlinuz', initrd: path };
      const [p, ...rest] = problemsOf(vm(boot));
      expect(rest).toEqual([]);
      expect(p).toMatchObject({ code: 'HVS-VM-BOOT-PATH-INVALID', path: `spec.boot.${field}` });
      expect(formatProblem(p!)).toMatch(/is not a valid kernel or initrd path: kernel and initrd are files inside a storage pool.*; fix: copy the file into a pool/);
    }
  });

  it('refuses a cmdline over 2048 bytes (counted in UTF-8) or with a control character', () => {
    expect(validateResource(vm({ kernel: 'k', cmdline: 'x'.repeat(2048) })).ok).toBe(true);
    for (const cmdline of ['x'.repeat(2049), 'é'.repeat(1025), 'console=ttyS0\ninit=/bin/sh', 'a\tb']) {
      const [p] = problemsOf(vm({ kernel: 'k', cmdline }));
      expect(p).toMatchObject({ code: 'HVS-VM-BOOT-CMDLINE-INVALID', path: 'spec.boot.cmdline' });
      expect(p!.fix).toContain('2048');
    }
  });

  it('needs a kernel and refuses unknown fields', () => {
    expect(problemsOf(vm({ initrd: 'i' })).map((p) => p.code)).toEqual(['HVS-FIELD-REQUIRED']);
    expect(problemsOf(vm({ kernel: 'k', append: 'x' })).map((p) => p.code)).toEqual(['HVS-FIELD-UNKNOWN']);
  });
});

describe('spec.boot rendering', () => {
  const host = { ...HOST, domainType: 'qemu' as const };

  it('writes kernel, initrd (inside the pool) and the escaped cmdline into <os>', () => {
    const xml = renderDomainXml(KERNEL_BOOT, host);
    expect(xml).toContain('<kernel>/var/lib/hvs/pools/default/kernels/vmlinuz-6.1</kernel>');
    expect(xml).toContain('<initrd>/var/lib/hvs/pools/default/kernels/tiny-initrd.img</initrd>');
    expect(xml).toContain("<cmdline>console=ttyS0 quiet panic=-1 hvs.note='&lt;a&amp;b&gt;'</cmdline>");
    expect(xml).not.toContain('<disk');
  });

  it('resolves in the named pool and fails with HVS-XML-POOL-UNKNOWN for a pool this host lacks', () => {
    const inFast: VirtualMachine = { ...KERNEL_BOOT, spec: { ...KERNEL_BOOT.spec, boot: { kernel: 'vmlinuz', pool: 'fast' } } };
    expect(renderDomainXml(inFast, host)).toMatch(/<os>\s*<type[^>]*>hvm<\/type>\s*<kernel>\/srv\/nvme\/hvs\/vmlinuz<\/kernel>\s*<\/os>/);
    const elsewhere: VirtualMachine = { ...KERNEL_BOOT, spec: { ...KERNEL_BOOT.spec, boot: { kernel: 'vmlinuz', pool: 'nope' } } };
    expect(() => renderDomainXml(elsewhere, host)).toThrow(expect.objectContaining({ code: 'HVS-XML-POOL-UNKNOWN', path: 'spec.boot.pool' }));
  });

  it('never leaves the pool even when validation was bypassed', () => {
    const hostile: VirtualMachine = { ...KERNEL_BOOT, spec: { ...KERNEL_BOOT.spec, boot: { kernel: '../../../etc/shadow' } } };
    expect(() => renderDomainXml(hostile, host)).toThrow(expect.objectContaining({ code: 'HVS-XML-PATH-ESCAPES', path: 'spec.boot.kernel' }));
  });

  it('logs the serial console of every VM to /var/log/libvirt/qemu/<domain>-serial.log, appending', () => {
    const path = serialLogPath(vmDomainName(KERNEL_BOOT));
    expect(path).toBe(`/var/log/libvirt/qemu/${domainName(KERNEL_BOOT.metadata.uid!)}-serial.log`);
    expect(renderDomainXml(KERNEL_BOOT, host)).toMatch(new RegExp(`<serial type='pty'>\\s*<log file='${path}' append='on'/>`));
  });
});

describe('spec.boot planning', () => {
  it('a kernel, initrd or cmdline change needs a restart; an absent pool equals "default"', () => {
    const stored = { ...KERNEL_BOOT, spec: { ...KERNEL_BOOT.spec, boot: { kernel: 'k1', cmdline: 'a' } } };
    const next = { ...KERNEL_BOOT, spec: { ...KERNEL_BOOT.spec, boot: { kernel: 'k2', initrd: 'i', cmdline: 'b', pool: 'default' } } };
    const plan = planObject(stored, next);
    expect(plan.changes.map((c) => [c.path, c.effect])).toEqual([
      ['spec.boot.cmdline', 'restart'], ['spec.boot.initrd', 'restart'], ['spec.boot.kernel', 'restart'],
    ]);
  });
});
