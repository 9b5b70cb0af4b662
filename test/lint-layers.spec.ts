// Proves the folder-layer check (tools/check-layers.js, run by `npm run lint`) fails on a planted
// cycle, on an import against the layers and on an unplaced folder, and passes on the real tree.
// The check runs as a child process, as `npm run lint` runs it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const checker = path.join(root, 'tools/check-layers.js');

interface Problem { code: string; project: string; message: string; fix: string }

function run(args: string[]): { status: number | null; problems: Problem[] } {
  const r = spawnSync(process.execPath, [checker, ...args, '--json'], { encoding: 'utf8' });
  return { status: r.status, problems: JSON.parse(r.stdout || '[]') as Problem[] };
}

describe('tools/check-layers.js', () => {
  let dir: string;
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  const config = (layers: string[][]) => write('layers.config.js', `module.exports = { projects: { 'apps/x': { layers: ${JSON.stringify(layers)} } } };`);
  const check = () => run(['--root', dir, '--config', path.join(dir, 'layers.config.js')]);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-layers-'));
    write('apps/x/src/main.ts', "import { a } from './api/a';\nexport const m = a;\n");
    write('apps/x/src/api/a.ts', "import { s } from '../store/s';\nexport const a = s;\n");
    write('apps/x/src/store/s.ts', 'export const s = 1;\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('passes a tree whose imports go down the layers', () => {
    config([['store'], ['api']]);
    expect(check()).toEqual({ status: 0, problems: [] });
  });

  it('fails on a planted folder cycle and names the folders and the imports that close it', () => {
    config([['store'], ['api']]);
    write('apps/x/src/store/back.ts', "import type { a } from '../api/a';\nexport type Back = typeof a;\n");
    const r = check();
    expect(r.status).toBe(1);
    const cycle = r.problems.find((p) => p.code === 'HVS-LINT-LAYER-CYCLE');
    expect(cycle?.message).toContain('api, store');
    expect(cycle?.message).toContain("store/back.ts -> '../api/a'");
    expect(cycle?.fix).toMatch(/move the shared piece/);
  });

  it('fails on an import against the direction even without a cycle', () => {
    config([['api'], ['store']]);
    const r = check();
    expect(r.status).toBe(1);
    expect(r.problems.map((p) => p.code)).toEqual(['HVS-LINT-LAYER-DIRECTION']);
    expect(r.problems[0].message).toContain("apps/x/src/api (layer 0) imports store (layer 1)");
  });

  it('fails on a folder that is in no layer', () => {
    config([['store'], ['api']]);
    write('apps/x/src/extra/e.ts', "import { s } from '../store/s';\nexport const e = s;\n");
    const r = check();
    expect(r.problems).toEqual([expect.objectContaining({ code: 'HVS-LINT-LAYER-UNPLACED', message: expect.stringContaining('apps/x/src/extra') })]);
  });

  it('ignores imports in comments and counts require() and dynamic import()', () => {
    config([['store'], ['api']]);
    write('apps/x/src/store/lazy.ts', "// import { a } from '../api/a';\nexport const lazy = () => import('../api/a');\n");
    expect(check().problems.map((p) => p.code)).toEqual(expect.arrayContaining(['HVS-LINT-LAYER-CYCLE', 'HVS-LINT-LAYER-DIRECTION']));
  });

  it('passes on this repository', () => {
    const r = run([]);
    expect(r.problems).toEqual([]);
    expect(r.status).toBe(0);
  });
});
