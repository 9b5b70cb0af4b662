/**
 * Golden files: each seed recipe renders byte-for-byte to libs/domain/test/golden/<recipe>.xml.
 *
 * To accept an intended change, re-generate them and review the diff:
 *   UPDATE_GOLDEN=1 npx jest -c libs/domain/jest.config.js libs/domain/test/xml/golden.spec.ts
 *   git diff libs/domain/test/golden/
 * Without UPDATE_GOLDEN the test only compares (a missing golden file fails).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderDomainXml, VirtualMachineSchema } from '@hvs/domain';
import { RECIPES } from './recipes';

const GOLDEN_DIR = join(__dirname, '..', 'golden');
const update = process.env['UPDATE_GOLDEN'] === '1';

describe('renderDomainXml golden files', () => {
  it.each(Object.keys(RECIPES))('%s matches its golden file', (name) => {
    const { vm, host } = RECIPES[name]!;
    const xml = renderDomainXml(vm, host);
    const file = join(GOLDEN_DIR, `${name}.xml`);
    if (update) writeFileSync(file, xml);
    if (!existsSync(file)) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1 to create it`);
    expect(xml).toBe(readFileSync(file, 'utf8'));
  });

  it.each(Object.keys(RECIPES))('%s is a valid VirtualMachine per the model schema', (name) => {
    const parsed = VirtualMachineSchema.safeParse(RECIPES[name]!.vm);
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it('renders the same XML twice (deterministic)', () => {
    for (const { vm, host } of Object.values(RECIPES)) expect(renderDomainXml(vm, host)).toBe(renderDomainXml(vm, host));
  });

  it('never puts cloud-init user data into the XML (it may hold secrets)', () => {
    const { vm, host } = RECIPES['ubuntu-cloud-init']!;
    expect(renderDomainXml(vm, host)).not.toContain('nginx');
  });
});
