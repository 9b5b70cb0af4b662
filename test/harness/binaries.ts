import * as fs from 'node:fs';
import * as path from 'node:path';
import { HvsError } from '@hvs/domain';

/** Absolute path of `name` on PATH, or an HvsError saying how to get it (never a silent skip). */
export function requireBinary(name: string, debianPackage: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new HvsError({
    code: 'HVS-TEST-BINARY-MISSING',
    category: 'FailedPrecondition',
    message: `the test harness needs \`${name}\` but it is not on PATH`,
    why: `tests talk to a real ${name} (Debian package ${debianPackage}), not a fake`,
    fix: `run \`npm test\` once (it installs the missing Debian packages), or apt-get install -y ${debianPackage}`,
  });
}
