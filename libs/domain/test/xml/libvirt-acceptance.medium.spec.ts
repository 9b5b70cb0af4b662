/**
 * Real libvirt accepts what we render (libvirt 9.0 on Debian 12):
 *  1. `virt-xml-validate <file> domain`: libvirt's RelaxNG schema;
 *  2. `virsh -c test:///default define <file>`: the test driver's domainDefineXML, which runs
 *     libvirt's full domain parser and post-parse checks (each virsh process gets a fresh driver);
 *  3. define + dumpxml in ONE virsh process: the fields that matter survive libvirt's parse
 *     (nothing we rely on is silently dropped).
 * Observed on this machine: the test driver accepts every element we render, including PCI
 * hostdev, TPM emulator, SPICE, UEFI firmware auto-selection and explicit OVMF loader/nvram,
 * hugepages, NUMA and vcpupin. It does not start QEMU, so it cannot tell whether a host has the
 * PCI device or OVMF files (the system test tier does that with real QEMU).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { vmDomainName, domainUuid, renderDomainXml } from '@hvs/domain';
import { findAll, parseStrictXml, textOf } from './strict-xml';
import { XmlScratch } from './xmllint';
import { RECIPES } from './recipes';
import { requireBinary } from '../../../../test/harness/binaries';

const run = promisify(execFile);
// Without them every case fails saying how to install them (`npm test` does), never skips.
beforeAll(() => {
  requireBinary('virsh', 'libvirt-clients');
  requireBinary('virt-xml-validate', 'libvirt-clients');
});

const scratch = new XmlScratch();
afterAll(() => scratch.cleanup());

const names = Object.keys(RECIPES);

describe('libvirt accepts the rendered recipes', () => {
  for (const name of names) {
    const { vm, host } = RECIPES[name]!;

    it(`${name}: virt-xml-validate (libvirt RelaxNG schema) passes`, async () => {
      const file = scratch.write(renderDomainXml(vm, host));
      // Exit status 0 is the verdict (execFile rejects otherwise); the message goes to stderr.
      const { stdout, stderr } = await run('virt-xml-validate', [file, 'domain'], { timeout: 30_000 });
      expect(stdout + stderr).toContain('validates');
    });

    it(`${name}: the test driver defines it (domainDefineXML)`, async () => {
      const file = scratch.write(renderDomainXml(vm, host));
      const { stdout } = await run('virsh', ['-c', 'test:///default', 'define', file], { timeout: 30_000 });
      expect(stdout).toContain(`Domain '${vmDomainName(vm)}' defined`);
    });

    it(`${name}: what the test driver stored keeps our fields`, async () => {
      const xml = renderDomainXml(vm, host);
      const file = scratch.write(xml);
      // One process, two commands: the test driver's state lives only as long as the process.
      const { stdout } = await run('virsh', ['-c', 'test:///default', `define ${file}; dumpxml ${vmDomainName(vm)}`], { timeout: 30_000 });
      const stored = parseStrictXml(stdout.slice(stdout.indexOf('<domain')));
      const ours = parseStrictXml(xml);
      expect(textOf(findAll(stored, 'name')[0]!)).toBe(vmDomainName(vm));
      if (domainUuid(vm) !== undefined) expect(textOf(findAll(stored, 'uuid')[0]!)).toBe(domainUuid(vm));
      expect(stored.attrs['type']).toBe(host.domainType);
      expect(findAll(stored, 'hvs:vm')[0]!.attrs).toEqual(findAll(ours, 'hvs:vm')[0]!.attrs);
      const pick = (root: typeof ours, el: string, attr: string) => findAll(root, el).map((e) => e.attrs[attr]);
      for (const [el, attr] of [['mac', 'address'], ['vcpupin', 'cpuset'], ['cell', 'memory'], ['boot', 'order']] as const) {
        expect(pick(stored, el, attr).filter(Boolean)).toEqual(pick(ours, el, attr).filter(Boolean));
      }
      // Per disk (file, format, target): libvirt stores disks grouped by bus, so the virtio seed
      // (after the sata/scsi disks in ours) may come back earlier; compare them as a set.
      const disks = (root: typeof ours) => findAll(root, 'disk').map((d) => [findAll(d, 'source')[0]?.attrs['file'], findAll(d, 'driver')[0]?.attrs['type'], findAll(d, 'target')[0]?.attrs['dev']].join(' ')).sort();
      expect(disks(stored)).toEqual(disks(ours));
      for (const el of ['hostdev', 'tpm', 'graphics', 'channel', 'interface', 'page', 'smm']) {
        expect(findAll(stored, el)).toHaveLength(findAll(ours, el).length);
      }
    });
  }

  it('virt-xml-validate refuses a schema violation (the schema check can fail)', async () => {
    const xml = renderDomainXml(RECIPES['hpc-pinned-numa']!.vm, RECIPES['hpc-pinned-numa']!.host).replace("<on_crash>destroy</on_crash>", "<on_crash>explode</on_crash>");
    const file = scratch.write(xml);
    await expect(run('virt-xml-validate', [file, 'domain'], { timeout: 30_000 })).rejects.toThrow(/fail|error|invalid/i);
  });

  it('the test driver refuses a broken document (the acceptance check can fail)', async () => {
    const file = scratch.write("<domain type='kvm'><name>x</name></domain>\n");
    await expect(run('virsh', ['-c', 'test:///default', 'define', file], { timeout: 30_000 })).rejects.toThrow(/memory|error/i);
  });
});
