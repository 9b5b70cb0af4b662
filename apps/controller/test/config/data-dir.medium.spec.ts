// A data dir the controller cannot write is refused (HVS-CONFIG-DATA-DIR-INVALID). Root may
// write to a 0500 directory, so when this runs as root (CI does) the check runs in a child
// process that loads the real loadConfig and then drops to uid/gid 65534 (nobody) before
// calling it: the case is exercised on every machine, never skipped.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '../../../..');
const NOBODY = 65534;

/** loadConfig({HVS_DATA_DIR: dir}) in a child, as `uid` when given; its error's code and why. */
function loadConfigIn(dir: string, uid?: number): { code?: string; why?: string } {
  const script = `
    require(${JSON.stringify(join(root, 'test/harness/ts-register.js'))});
    const { loadConfig } = require(${JSON.stringify(join(root, 'apps/controller/src/config/index.ts'))});
    const uid = ${uid ?? 'undefined'};
    if (uid !== undefined) { process.setgid(uid); process.setuid(uid); }
    try { loadConfig({ HVS_DATA_DIR: ${JSON.stringify(dir)} }); process.stdout.write('{}'); }
    catch (e) { process.stdout.write(JSON.stringify({ code: e.code, why: e.why })); }`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { code?: string; why?: string };
}

describe('loadConfig: a data dir the controller cannot write', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hvs-datadir-'));
    chmodSync(dir, 0o755); // nobody must reach the read-only dir inside it
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is refused with the code, the reason and the fix', () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro, { mode: 0o500 });
    chmodSync(ro, 0o500);
    const asUser = process.getuid?.() === 0 ? NOBODY : undefined;
    expect(loadConfigIn(ro, asUser)).toEqual({ code: 'HVS-CONFIG-DATA-DIR-INVALID', why: 'the controller cannot write to it' });
  });

  it('a writable one is accepted by the same child (so the refusal above is the directory, not the child)', () => {
    const rw = join(dir, 'rw');
    mkdirSync(rw, { mode: 0o777 });
    chmodSync(rw, 0o777);
    const asUser = process.getuid?.() === 0 ? NOBODY : undefined;
    expect(loadConfigIn(rw, asUser)).toEqual({});
  });
});
