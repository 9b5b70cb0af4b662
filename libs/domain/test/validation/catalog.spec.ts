import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODES } from '../../src/validation';

const DOC = readFileSync(join(__dirname, '../../../../docs/architecture/resource-model.md'), 'utf8');

describe('code catalog', () => {
  it('every code is documented in docs/architecture/resource-model.md', () => {
    const missing = Object.keys(CODES).filter((c) => !DOC.includes(`| \`${c}\` |`));
    expect(missing).toEqual([]);
  });

  it('the doc lists no code that no longer exists', () => {
    const listed = [...DOC.matchAll(/^\| `(HVS-[A-Z0-9-]+)` \|/gm)].map((m) => m[1]!);
    expect(listed.filter((c) => !(c in CODES))).toEqual([]);
  });

  it('every code has the HVS-AREA-WHAT shape, a why and a fix', () => {
    for (const [code, info] of Object.entries(CODES)) {
      expect(code).toMatch(/^HVS-[A-Z0-9]+(-[A-Z0-9]+)+$/);
      expect(info.why.length).toBeGreaterThan(10);
      const fix = typeof info.fix === 'string' ? info.fix : info.fix(undefined);
      expect(fix.length).toBeGreaterThan(5);
    }
  });
});
