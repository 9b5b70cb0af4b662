import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../../src/errors';
import { loadManifests } from '../../src/manifest';

const DIR = join(__dirname, '../fixtures/manifests');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

describe('seed manifests', () => {
  it('has the five seed recipes', () => {
    expect(files.sort()).toEqual(['dev-lab.yaml', 'hpc-pinned-numa.yaml', 'isolated-test.yaml', 'ubuntu-cloud-init.yaml', 'windows11-gpu.yaml']);
  });

  it.each(files)('%s validates clean', (f) => {
    const r = loadManifests([{ text: readFileSync(join(DIR, f), 'utf8'), fileName: f }]);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.resources.filter((x) => x.kind === 'VirtualMachine').length).toBeGreaterThanOrEqual(1);
  });

  it('all seeds together form one valid batch (no kind/name collides)', () => {
    const r = loadManifests(files.map((f) => ({ text: readFileSync(join(DIR, f), 'utf8'), fileName: f })));
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.resources.length).toBe(r.documents.length);
  });
});
