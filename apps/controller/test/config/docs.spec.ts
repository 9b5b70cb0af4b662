import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIELDS } from '../../src/config';

// Docs move with code: a setting added to FIELDS without a line in the doc fails here.
describe('docs/controller-config.md', () => {
  const doc = readFileSync(join(__dirname, '../../../../docs/controller-config.md'), 'utf8');

  it.each(FIELDS.map((f) => [f.env, f]))('documents %s with its file key, default and error code', (_env, f) => {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${f.env}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(`\`${f.fileKey}\``);
    expect(row).toContain(`\`${f.defaultText}\``);
    expect(doc).toContain(`HVS-CONFIG-${f.field}-INVALID`);
  });
});
