/**
 * The hostile corpus (../fixtures/hostile): each file must give exactly the expected error
 * code(s) (expectations.json), no exception may escape, every problem names a fix, no secret
 * is echoed, and nothing pollutes Object.prototype.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../../src/errors';
import { loadManifests } from '../../src/manifest';
import { CODES } from '../../src/validation';

const DIR = join(__dirname, '../fixtures/hostile');
const expectations = JSON.parse(readFileSync(join(DIR, 'expectations.json'), 'utf8')) as Record<string, string[]>;
const files = readdirSync(DIR).filter((f) => f !== 'expectations.json').sort();

describe('hostile corpus', () => {
  it('has at least 25 files, each with an expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
    expect(Object.keys(expectations).sort()).toEqual(files);
  });

  it.each(files)('%s gives exactly the expected codes', (f) => {
    const text = readFileSync(join(DIR, f), 'utf8');
    let r: ReturnType<typeof loadManifests> | undefined;
    expect(() => {
      r = loadManifests([{ text, fileName: f }]);
    }).not.toThrow();
    if (!r || r.ok) throw new Error(`${f} was accepted`);
    const codes = r.problems.map((p) => p.code).sort();
    if (JSON.stringify(codes) !== JSON.stringify([...expectations[f]!].sort())) {
      throw new Error(`${f}: expected ${expectations[f]!.join(', ')}, got:\n${r.problems.map(formatProblem).join('\n')}`);
    }
    for (const p of r.problems) {
      expect(p.fix.length).toBeGreaterThan(3);
      // Every emitted code is catalogued (and so documented).
      expect(p.code in CODES || /^HVS-[A-Z]+-NAME-INVALID$/.test(p.code)).toBe(true);
      expect(p.message.length).toBeGreaterThan(3);
      // Every problem points at the file (and a document unless the whole input failed).
      expect(p.path?.startsWith(f)).toBe(true);
      const line = formatProblem(p);
      expect(line).not.toContain('hunter2');
      expect(line.length).toBeLessThan(2000);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  it('points at file, document and line', () => {
    const text = readFileSync(join(DIR, 'duplicate-name.yaml'), 'utf8');
    const r = loadManifests([{ text, fileName: 'duplicate-name.yaml' }]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.path).toBe('duplicate-name.yaml: document 2 (line 20): metadata.name');
  });

  it('names the item of a JSON array', () => {
    const text = readFileSync(join(DIR, 'json-array-bad-item.json'), 'utf8');
    const r = loadManifests([{ text, fileName: 'x.json' }]);
    if (r.ok) throw new Error('accepted');
    expect(formatProblem(r.problems[0]!)).toMatch(/^HVS-NET-NAME-INVALID: x\.json: document 1 item 2 \(line 17\): metadata\.name: "LAN 2" is not a valid name: .*; fix: use e\.g\. "lan-2"$/);
  });
});
