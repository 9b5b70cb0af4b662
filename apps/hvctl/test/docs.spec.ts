// docs/hvctl.md moves with the code: every command and every error code hvctl can print is documented.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildProgram } from '../src/cli';
import { fakeIo } from './fake-io';

const DOC = fs.readFileSync(path.join(__dirname, '../../../docs/hvctl.md'), 'utf8');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('docs/hvctl.md', () => {
  it('shows every command in an example', () => {
    const { program } = buildProgram(fakeIo());
    const missing = program.commands.map((c) => c.name()).filter((n) => !DOC.includes(`hvctl ${n}`));
    expect(missing).toEqual([]);
  });

  it('lists every HVS-CLI-* and HVS-UP-* code the source can raise', () => {
    const codes = new Set<string>();
    for (const f of sources(path.join(__dirname, '../src'))) {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/'(HVS-(?:CLI|UP)-[A-Z-]+)'/g)) codes.add(m[1]!);
    }
    expect(codes.size).toBeGreaterThan(10);
    const missing = [...codes].filter((c) => c !== 'HVS-CLI-INTERNAL' && !DOC.includes(c));
    expect(missing).toEqual([]);
  });
});
