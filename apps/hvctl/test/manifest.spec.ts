import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HvsError } from '@hvs/domain';
import { loadLocal, readManifestFiles } from '../src/manifest/read';
import { fakeIo } from './fake-io';

let dir: string;
const net = (name: string) => `apiVersion: hvs/v1\nkind: Network\nmetadata:\n  name: ${name}\nspec:\n  mode: isolated\n`;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-mf-'));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'b.yaml'), net('b'));
  fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'a' }, spec: { mode: 'nat' } }));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a manifest');
  fs.writeFileSync(path.join(dir, 'sub', 'c.yml'), `${net('c')}---\n${net('d')}`);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('-f FILE|DIR|- and -R', () => {
  it('expands a directory sorted, skipping non-manifests; -R descends', async () => {
    const top = await readManifestFiles([dir], false, fakeIo());
    expect(top.map((f) => path.relative(dir, f.fileName))).toEqual(['a.json', 'b.yaml']);
    const all = await readManifestFiles([dir], true, fakeIo());
    expect(all.map((f) => path.relative(dir, f.fileName))).toEqual(['a.json', 'b.yaml', 'sub/c.yml']);
  });

  it('sends each document with its file, 0-based index and start line', async () => {
    const loaded = loadLocal(await readManifestFiles([path.join(dir, 'sub')], false, fakeIo()));
    expect(loaded.wire.map((d) => [path.basename(d.source), d.index, d.line])).toEqual([['c.yml', 0, 1], ['c.yml', 1, 8]]);
    expect(JSON.parse(loaded.wire[1]!.manifestJson).metadata.name).toBe('d');
  });

  it('names a missing path, a directory without manifests, and empty input', async () => {
    await expect(readManifestFiles([path.join(dir, 'nope.yaml')], false, fakeIo())).rejects.toMatchObject({ code: 'HVS-CLI-FILE-NOT-FOUND' });
    fs.mkdirSync(path.join(dir, 'empty'));
    await expect(readManifestFiles([path.join(dir, 'empty')], false, fakeIo())).rejects.toMatchObject({ code: 'HVS-CLI-NO-MANIFESTS' });
    await expect(readManifestFiles([], false, fakeIo())).rejects.toMatchObject({ code: 'HVS-CLI-NO-FILES' });
    expect(() => loadLocal([{ fileName: '-', text: '# only a comment\n' }])).toThrow(HvsError);
  });

  it('reports every problem of every file at once, with file and line', () => {
    let err: HvsError | undefined;
    try {
      loadLocal([{ fileName: 'x.yaml', text: net('Bad_Name') }, { fileName: 'y.yaml', text: 'kind: Network\nmetadata: {name: ok}\nspec: {mode: lan}\n' }]);
    } catch (e) {
      err = e as HvsError;
    }
    expect(err).toBeInstanceOf(HvsError);
    const paths = err!.problems.map((p) => p.path ?? '');
    expect(paths.some((p) => p.startsWith('x.yaml: document 1 (line 4)'))).toBe(true);
    expect(paths.some((p) => p.startsWith('y.yaml: document 1'))).toBe(true);
  });
});
