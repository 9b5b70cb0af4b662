/**
 * The seed manifests users apply (libs/domain/test/fixtures/manifests/*.yaml, loaded with the real
 * manifest loader) render for every VirtualMachine in them, and libvirt accepts the result:
 * virt-xml-validate and the test driver's define. Host facts are derived from the same batch the
 * way an agent would realise them after all five files were applied (StoragePool paths, Networks,
 * cached Images): hpc-pinned-numa.yaml uses the `fast` pool that dev-lab.yaml defines.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadManifests, renderDomainXml, vmDomainName, type HostFacts, type VirtualMachine } from '@hvs/domain';
import { XmlScratch } from './xmllint';
import { requireBinary } from '../../../../test/harness/binaries';

const run = promisify(execFile);
const DIR = join(__dirname, '..', 'fixtures', 'manifests');

const scratch = new XmlScratch();
afterAll(() => scratch.cleanup());

interface Loaded { file: string; vms: VirtualMachine[]; host: HostFacts }

function load(file: string): Loaded {
  const r = loadManifests([{ fileName: file, text: readFileSync(join(DIR, file), 'utf8') }]);
  if (!r.ok) throw new Error(`${file} does not load: ${JSON.stringify(r.problems)}`);
  const host: HostFacts = { domainType: 'kvm', pools: { default: { path: '/var/lib/hvs/pools/default' } }, networks: {}, images: {} };
  const vms: VirtualMachine[] = [];
  r.resources.forEach((res, i) => {
    const name = res.metadata.name;
    if (res.kind === 'StoragePool') host.pools[name] = { path: res.spec.path ?? `/var/lib/hvs/pools/${name}` };
    if (res.kind === 'Network') host.networks[name] = res.spec.mode === 'nat' ? { libvirtNetwork: name } : { bridge: res.spec.bridge ?? `hvsbr-${name}` };
    if (res.kind === 'Image') host.images![name] = { path: `/var/lib/hvs/images/${name}.${res.spec.format}`, format: res.spec.format };
    if (res.kind === 'VirtualMachine') {
      // As stored by the controller: a uid and a generation.
      vms.push({ ...res, metadata: { ...res.metadata, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, generation: 1 } });
    }
  });
  // Networks referenced but defined elsewhere (e.g. a shared 'nat') realise as libvirt networks.
  for (const vm of vms) for (const nic of vm.spec.networks) host.networks[nic.network] ??= { libvirtNetwork: nic.network };
  return { file, vms, host };
}

const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
/** One host that has everything every seed file defines. */
function clusterHost(): HostFacts {
  const all = files.map(load);
  return {
    domainType: 'kvm',
    pools: Object.assign({}, ...all.map((l) => l.host.pools)),
    networks: Object.assign({}, ...all.map((l) => l.host.networks)),
    images: Object.assign({}, ...all.map((l) => l.host.images)),
  };
}

describe('seed manifests render to XML libvirt accepts', () => {
  it('there are five seed manifests with at least one VM each', () => {
    expect(files).toHaveLength(5);
    for (const f of files) expect(load(f).vms.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(`${file}: every VM passes virt-xml-validate and the test driver's define`, async () => {
      requireBinary('virsh', 'libvirt-clients');
      requireBinary('virt-xml-validate', 'libvirt-clients');
      const { vms } = load(file);
      const host = clusterHost();
      for (const vm of vms) {
        const path = scratch.write(renderDomainXml(vm, host));
        const v = await run('virt-xml-validate', [path, 'domain'], { timeout: 30_000 });
        expect(v.stdout + v.stderr).toContain('validates');
        const d = await run('virsh', ['-c', 'test:///default', 'define', path], { timeout: 30_000 });
        expect(d.stdout).toContain(`Domain '${vmDomainName(vm)}' defined`);
      }
    });
  }
});
