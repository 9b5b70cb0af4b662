import * as fs from 'node:fs';
import * as path from 'node:path';

describe('repository', () => {
  it('has the README test command wired into .ci/run', () => {
    const ci = fs.readFileSync(path.join(__dirname, '..', '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/npm test/);
  });
});
