// Every manifest in examples/ passes the same local loader hvctl runs before sending.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadManifests, vcpuCount, type VirtualMachine } from '@hvs/domain';

const DIR = path.join(__dirname, '../../../examples');
const load = (f: string) => loadManifests([{ fileName: f, text: fs.readFileSync(path.join(DIR, f), 'utf8') }]);

describe('examples/', () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

  it('holds the quickstart and the five seed recipes', () => {
    expect(files).toEqual(['dev-lab.yaml', 'hpc-pinned-numa.yaml', 'isolated-test.yaml', 'quickstart.yaml', 'ubuntu-cloud-init.yaml', 'windows11-gpu.yaml']);
  });

  it.each(files)('%s validates with the domain loader', (f) => {
    const r = load(f);
    if (!r.ok) throw new Error(r.problems.map((p) => `${p.code} ${p.path}: ${p.message}`).join('\n'));
    expect(r.resources.length).toBeGreaterThan(0);
  });

  it('quickstart: one network, the uploaded debian-12 image, and two small running VMs booting it with cloud-init (1 vCPU, 256MiB)', () => {
    const r = load('quickstart.yaml');
    if (!r.ok) throw new Error('quickstart invalid');
    const nets = r.resources.filter((x) => x.kind === 'Network');
    const vms = r.resources.filter((x): x is VirtualMachine => x.kind === 'VirtualMachine');
    expect(nets).toHaveLength(1);
    expect(r.resources.filter((x) => x.kind === 'Image').map((x) => [x.metadata.name, x.spec])).toEqual([['debian-12', { source: { upload: true }, format: 'qcow2' }]]);
    expect(vms).toHaveLength(2);
    for (const vm of vms) {
      expect(vcpuCount(vm.spec.cpu)).toBe(1);
      expect(vm.spec.memory.size).toBe('256MiB');
      expect(vm.spec.runState).toBe('Running');
      expect(vm.spec.networks.map((n) => n.network)).toEqual([nets[0]!.metadata.name]);
      expect(vm.spec.disks.map((d) => d.image)).toEqual(['debian-12']);
      expect(vm.spec.cloudInit?.hostname).toBe(vm.metadata.name);
    }
  });

  it('the seed recipes have the same objects as the domain fixtures they came from', () => {
    const fixtures = path.join(__dirname, '../../../libs/domain/test/fixtures/manifests');
    for (const f of files.filter((x) => x !== 'quickstart.yaml')) {
      const ours = load(f);
      const theirs = loadManifests([{ fileName: f, text: fs.readFileSync(path.join(fixtures, f), 'utf8') }]);
      expect(ours.ok && theirs.ok).toBe(true);
      if (ours.ok && theirs.ok) expect(ours.resources.map((x) => `${x.kind}/${x.metadata.name}`)).toEqual(theirs.resources.map((x) => `${x.kind}/${x.metadata.name}`));
    }
  });
});
