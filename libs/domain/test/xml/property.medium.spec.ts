/**
 * Property: for arbitrary VMs of the right shape (names that pass validation, arbitrary strings in
 * labels/annotations/paths/models, references that may or may not resolve on the host, counts and
 * sizes that may be unusable), renderDomainXml either returns XML that parses (strict parser;
 * libxml2 on a sample) and carries the inputs back, or throws an HvsError with an HVS-XML-* code,
 * a path and a fix. Nothing else ever escapes.
 */
import fc from 'fast-check';
import { HvsError, NAME_RE, renderDomainXml, type HostFacts, type VirtualMachine } from '@hvs/domain';
import { findAll, parseStrictXml, textOf } from './strict-xml';
import { XmlScratch } from './xmllint';
import { HOST } from './recipes';

const scratch = new XmlScratch();
afterAll(() => scratch.cleanup());

// Mostly XML-special text; sometimes any code units (control characters, lone surrogates).
const anyText = fc.oneof(
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom('"', "'", '<', '>', '&', ']', '\n', '\r', '\t', 'a', ';', '#', '/', '.', 'é', '🚀'), maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(']]>', '&amp;', '<x/>', '"\'', 'ünï 🚀') },
);
/** Usually `good`, sometimes `other`: keeps both outcomes (rendered / refused) well represented. */
const mostly = <T, U>(good: fc.Arbitrary<T>, other: fc.Arbitrary<U>) => fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: other });
/** Usually absent. */
const rare = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const name = fc.stringMatching(NAME_RE).filter((s) => s.length <= 63);
const poolRef = mostly(fc.constantFrom('default', 'fast'), name);
const netRef = mostly(fc.constantFrom('lan', 'nat', 'lab-net'), name);
// ubuntu-24-04 is a qcow2 image: refused as a cdrom (HVS-XML-IMAGE-FORMAT).
const imageRef = mostly(fc.constantFrom('win11-23h2', 'virtio-win'), fc.oneof(fc.constant('ubuntu-24-04'), name));
const count = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 600 }) });
const size = fc.oneof({ weight: 9, arbitrary: fc.constantFrom('512MiB', '1GiB', '2GiB', '4GiB', '1.5GiB') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('1000B', '0B'), fc.string({ maxLength: 8 })) });

const vmArb: fc.Arbitrary<VirtualMachine> = fc.record({
  apiVersion: fc.constant('hvs/v1' as const),
  kind: fc.constant('VirtualMachine' as const),
  metadata: fc.record({
    name,
    uid: fc.option(mostly(fc.uuid(), anyText), { nil: undefined }),
    generation: fc.option(fc.nat(), { nil: undefined }),
    labels: fc.option(fc.dictionary(anyText, anyText, { maxKeys: 4 }), { nil: undefined }),
    annotations: fc.option(fc.dictionary(anyText, anyText, { maxKeys: 4 }), { nil: undefined }),
  }, { requiredKeys: ['name'] }),
  spec: fc.record({
    cpu: fc.record({
      cores: count, sockets: fc.option(count, { nil: undefined }), threads: fc.option(count, { nil: undefined }),
      model: fc.option(fc.oneof(fc.constantFrom('host-passthrough', 'host-model', 'EPYC'), anyText), { nil: undefined }),
      pinning: rare(fc.array(fc.record({ vcpu: mostly(fc.constant(0), fc.integer({ min: -1, max: 10 })), hostCpus: anyText }), { maxLength: 1 })),
      numa: rare(fc.record({ cells: fc.array(fc.record({ id: fc.nat(3), cpus: anyText, memory: size }), { minLength: 1, maxLength: 2 }) })),
    }, { requiredKeys: ['cores'] }),
    memory: fc.record({ size, hugepages: rare(fc.record({ pageSize: fc.constantFrom('2MiB' as const, '1GiB' as const) })) }, { requiredKeys: ['size'] }),
    firmware: fc.option(fc.record({ type: mostly(fc.constant('uefi' as const), fc.constant('bios' as const)), secureBoot: fc.option(fc.boolean(), { nil: undefined }), tpm: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['type'] }), { nil: undefined }),
    disks: fc.array(fc.record({
      name, pool: fc.option(poolRef, { nil: undefined }), path: rare(anyText),
      bus: fc.option(fc.constantFrom('virtio' as const, 'scsi' as const, 'sata' as const), { nil: undefined }),
      format: fc.option(fc.constantFrom('qcow2' as const, 'raw' as const), { nil: undefined }),
      boot: rare(fc.integer({ min: 0, max: 4 })),
    }, { requiredKeys: ['name'] }), { maxLength: 4 }),
    cdrom: fc.option(fc.record({ image: fc.option(imageRef, { nil: undefined }), pool: rare(poolRef), path: fc.option(anyText, { nil: undefined }), bus: fc.option(fc.constantFrom('sata' as const, 'scsi' as const), { nil: undefined }) }), { nil: undefined }),
    networks: fc.array(fc.record({ name, network: netRef, mac: fc.option(mostly(fc.constant('52:54:00:12:34:56'), anyText), { nil: undefined }), model: fc.option(fc.constantFrom('virtio' as const, 'e1000' as const, 'rtl8139' as const), { nil: undefined }) }, { requiredKeys: ['name', 'network'] }), { maxLength: 3 }),
    cloudInit: fc.option(fc.record({ userData: anyText }), { nil: undefined }),
    devices: fc.option(fc.record({ hostdevs: fc.array(fc.record({ name, pciAddress: fc.option(mostly(fc.constant('0000:01:00.0'), anyText), { nil: undefined }), vendorDevice: fc.option(fc.constantFrom('10de:2204', '8086:1533'), { nil: undefined }) }, { requiredKeys: ['name'] }), { maxLength: 2 }) }), { nil: undefined }),
    runState: fc.constantFrom('Running' as const, 'Stopped' as const),
    console: fc.option(fc.record({ type: fc.constantFrom('vnc' as const, 'spice' as const), listen: fc.option(anyText, { nil: undefined }) }, { requiredKeys: ['type'] }), { nil: undefined }),
  }, { requiredKeys: ['cpu', 'memory', 'disks', 'networks', 'runState'] }),
}) as fc.Arbitrary<VirtualMachine>;

const hostArb: fc.Arbitrary<HostFacts> = fc.record({
  domainType: fc.constantFrom('kvm' as const, 'qemu' as const),
  poolPath: fc.oneof(fc.constant('/var/lib/hvs/pools/default'), anyText.map((s) => `/p/${s}`)),
  ovmf: fc.boolean(),
  pci: fc.boolean(),
}).map(({ domainType, poolPath, ovmf, pci }) => ({
  ...HOST,
  domainType,
  pools: { ...HOST.pools, default: { path: poolPath } },
  ...(ovmf ? { ovmf: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' } } : {}),
  ...(pci ? { pciDevices: [{ pciAddress: '0000:41:00.0', vendorDevice: '10de:2204' }] } : {}),
}));

describe('renderDomainXml property', () => {
  it('returns parseable XML carrying the inputs, or throws an HvsError HVS-XML-* with a fix', () => {
    let rendered = 0;
    let refused = 0;
    const codes: Record<string, number> = {};
    fc.assert(
      fc.property(vmArb, hostArb, (vm, host) => {
        let xml: string;
        try {
          xml = renderDomainXml(vm, host);
        } catch (e) {
          if (!(e instanceof HvsError)) throw e;
          codes[e.code] = (codes[e.code] ?? 0) + 1;
          expect(e.code).toMatch(/^HVS-XML-[A-Z-]+$/);
          expect(e.fix.length).toBeGreaterThan(0);
          refused++;
          return;
        }
        rendered++;
        const root = parseStrictXml(xml);
        expect(textOf(findAll(root, 'title')[0]!)).toBe(vm.metadata.name);
        const labels = findAll(root, 'hvs:label').map((l) => [l.attrs['key'], l.attrs['value']]);
        expect(Object.fromEntries(labels)).toEqual(vm.metadata.labels ?? {});
        const notes = findAll(root, 'hvs:annotation').map((a) => [a.attrs['key'], textOf(a)]);
        expect(Object.fromEntries(notes)).toEqual(vm.metadata.annotations ?? {});
        expect(findAll(root, 'interface')).toHaveLength(vm.spec.networks.length);
        if (rendered <= 15) scratch.checkWellFormed(xml);
      }),
      { numRuns: 400 },
    );
    // A typical run of 400: ~125 rendered, ~275 refused over ~17 distinct HVS-XML codes.
    expect(Object.keys(codes).length).toBeGreaterThan(8);
    // Both outcomes must actually be exercised, or the property proves little.
    expect(rendered).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });
});
