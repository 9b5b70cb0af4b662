/**
 * Hostile values: quotes, `<`, `&`, `]]>`, entity look-alikes, whitespace and unicode in every
 * place a user or host value reaches the XML. The output must be well-formed (xmllint and our
 * strict parser) and every value must parse back to exactly the input. This deliberately bypasses
 * manifest validation: the builder must be safe on its own.
 */
import { cloudInitSeedName, HvsError, renderDomainXml, type HostFacts, type VirtualMachine } from '@hvs/domain';
import { findAll, parseStrictXml, textOf, type ParsedElement } from './strict-xml';
import { XmlScratch } from './xmllint';
import { HOST, UBUNTU_CLOUD_INIT } from './recipes';

const HOSTILE = [
  `a"b`, `a'b`, `<script>alert(1)</script>`, `&amp;`, `&lt;`, `]]>`, `x]]>y`, `<![CDATA[x]]>`,
  `<!-- c -->`, `<?xml version="1.0"?>`, `&#0;`, `"' onload='x`, `tab\there`, `line1\nline2`, `cr\rlf\r\n`,
  `ünïcødé 日本語 🚀 \u{10FFFF}`, ` leading and trailing `, `\u0085\u2028`, `'/><evil x='`,
];

const scratch = new XmlScratch();
afterAll(() => scratch.cleanup());

function hostileVm(i: number, s: string): VirtualMachine {
  const vm = structuredClone(UBUNTU_CLOUD_INIT);
  vm.metadata.name = `n${s}`;
  vm.metadata.labels = { [`k${i}${s}`]: s, plain: 'v' };
  vm.metadata.annotations = { [`a${s}`]: s, empty: '' };
  vm.spec.cpu.model = `m${s}`;
  vm.spec.cpu.pinning = [{ vcpu: 0, hostCpus: s }];
  vm.spec.disks = [{ name: `d${s}`, path: `dir/${s}.img`, format: 'raw' }];
  vm.spec.cdrom = { path: `iso/${s}` };
  vm.spec.console = { type: 'vnc', listen: s };
  return vm;
}

function hostileHost(s: string): HostFacts {
  return { ...HOST, emulator: `/bin/${s}`, pools: { default: { path: `/p/${s}` } }, networks: { nat: { bridge: `br${s}` } } };
}

function only(root: ParsedElement, name: string): ParsedElement {
  const all = findAll(root, name);
  expect(all).toHaveLength(1);
  return all[0]!;
}

describe('hostile values round-trip through the domain XML', () => {
  it.each(HOSTILE.map((s, i) => [i, s] as const))('#%i %j', (i, s) => {
    const xml = renderDomainXml(hostileVm(i, s), hostileHost(s));
    expect(xml).not.toContain('<![CDATA[');
    const root = parseStrictXml(xml);
    scratch.checkWellFormed(xml);

    expect(textOf(only(root, 'title'))).toBe(`n${s}`);
    const meta = only(root, 'hvs:vm');
    expect(meta.attrs['name']).toBe(`n${s}`);
    const labels = findAll(meta, 'hvs:label').map((l) => [l.attrs['key'], l.attrs['value']]);
    expect(labels).toEqual(expect.arrayContaining([[`k${i}${s}`, s], ['plain', 'v']]));
    const annotations = Object.fromEntries(findAll(meta, 'hvs:annotation').map((a) => [a.attrs['key'], textOf(a)]));
    expect(annotations).toEqual({ [`a${s}`]: s, empty: '' });
    expect(textOf(only(only(root, 'cpu'), 'model'))).toBe(`m${s}`);
    expect(only(root, 'vcpupin').attrs['cpuset']).toBe(s);
    expect(textOf(only(root, 'emulator'))).toBe(`/bin/${s}`);
    const sources = findAll(root, 'source').map((e) => e.attrs['file'] ?? e.attrs['bridge']);
    // Path segments are normalised (empty and "." segments dropped): compare like for like.
    const seg = (p: string) => p.split('/').filter((x) => x !== '' && x !== '.').join('/');
    expect(sources).toEqual([`/${seg(`p/${s}/dir/${s}.img`)}`, `/${seg(`p/${s}/iso/${s}`)}`, `/${seg(`p/${s}`)}/${cloudInitSeedName(UBUNTU_CLOUD_INIT.metadata.uid!)}`, `br${s}`]);
    const graphics = only(root, 'graphics');
    expect(graphics.attrs['listen']).toBe(s);
    expect(only(graphics, 'listen').attrs['address']).toBe(s);
  });

  it('libxml2 reads the same values as the strict parser (independent check)', () => {
    for (const [i, s] of HOSTILE.entries()) {
      const xml = renderDomainXml(hostileVm(i, s), hostileHost(s));
      // libxml2 keeps the normalised line ends of text, exactly as the XML spec says.
      expect(scratch.xpathString(xml, "//*[local-name()='annotation'][1]")).toBe(s);
      expect(scratch.xpathString(xml, "//*[local-name()='label'][1]/@value")).toBe(s);
      expect(scratch.xpathString(xml, '/domain/title')).toBe(`n${s}`);
    }
  });

  it('rejects characters XML cannot carry with HVS-XML-CHAR-INVALID, naming where', () => {
    for (const bad of ['\u0000', '\u0001', '\u001b[31m', '\uFFFE', '\uD800', 'x\uDC00']) {
      const vm = structuredClone(UBUNTU_CLOUD_INIT);
      vm.metadata.annotations = { note: `ok${bad}` };
      let err: unknown;
      try {
        renderDomainXml(vm, HOST);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HvsError);
      expect((err as HvsError).code).toBe('HVS-XML-CHAR-INVALID');
      expect((err as HvsError).path).toContain('hvs:annotation');
    }
  });

  it('refuses a MAC-like string that is not a MAC instead of passing it through', () => {
    const vm = structuredClone(UBUNTU_CLOUD_INIT);
    vm.spec.networks = [{ name: 'eth0', network: 'nat', mac: `52:54:00:aa:bb:cc'/><x a='` }];
    expect(() => renderDomainXml(vm, HOST)).toThrow(expect.objectContaining({ code: 'HVS-XML-MAC-INVALID' }));
    // libvirt's define refuses multicast MACs ("expected unicast mac address"): so do we, earlier.
    vm.spec.networks = [{ name: 'eth0', network: 'nat', mac: '01:00:5e:00:00:01' }];
    expect(() => renderDomainXml(vm, HOST)).toThrow(expect.objectContaining({ code: 'HVS-XML-MAC-INVALID' }));
  });
});
