/**
 * The closing summary of `npm test` (scripts/tier-summary.js, used by scripts/run-jest.js):
 * counts per tier from the jest project, every skip with the reason describeWhen put in its
 * title, the plain line CI reads, and the CI rule for tiers this machine can run.
 */
import { ciProblems, formatSummary, SKIP_MARK as PARSED_MARK, skipReason, summarize } from '../scripts/tier-summary.js';
import { SKIP_MARK } from './harness/tiers';

const file = (project: string, path: string, tests: [string, string[]][], execError = false) =>
  ({ project, path: `/repo/${path}`, execError, tests: tests.map(([status, titles]) => ({ status, titles })) });

const REPORT = {
  files: [
    file('controller:unit', 'apps/controller/test/a.spec.ts', [['passed', ['a', 'x']], ['failed', ['a', 'y']]]),
    file('controller:unit', 'apps/controller/test/b.spec.ts', [['pending', [`b${SKIP_MARK}running as root, which can write anywhere]`, 'z']]]),
    file('domain:medium', 'libs/domain/test/c.medium.spec.ts', [['passed', ['c']]]),
    file('node-agent:qemu', 'apps/node-agent/test/d.qemu.spec.ts', [['pending', [`real QEMU${SKIP_MARK}HVS_TEST_QEMU is "0"]`, 'inner', 'one']], ['pending', [`real QEMU${SKIP_MARK}HVS_TEST_QEMU is "0"]`, 'two']]]),
    file('system', 'test/system/e.spec.ts', [['passed', ['e']]]),
    file('chaos', 'test/chaos/f.spec.ts', [], true),
  ],
};

describe('the per-tier summary', () => {
  const s = summarize(REPORT, '/repo');

  it('reads the same mark describeWhen writes', () => {
    expect(PARSED_MARK).toBe(SKIP_MARK);
  });

  it('counts passed, failed and skipped per tier (the part after the last ":" of the project), in tier order', () => {
    expect(s.tiers.map((r) => [r.tier, r.passed, r.failed, r.skipped, r.brokenFiles])).toEqual([
      ['unit', 1, 1, 1, 0], ['medium', 1, 0, 0, 0], ['qemu', 0, 0, 2, 0], ['system', 1, 0, 0, 0], ['chaos', 0, 0, 0, 1],
    ]);
  });

  it('lists each skip once per file and reason, with the reason describeWhen put in the title', () => {
    expect(s.skips).toEqual([
      { tier: 'unit', file: 'apps/controller/test/b.spec.ts', reason: 'running as root, which can write anywhere', count: 1 },
      { tier: 'qemu', file: 'apps/node-agent/test/d.qemu.spec.ts', reason: 'HVS_TEST_QEMU is "0"', count: 2 },
    ]);
    expect(skipReason(['plain title', 'x'])).toBeUndefined();
    expect(summarize({ files: [file('repo:unit', 'x.spec.ts', [['todo', ['t']]])] }, '/repo').skips[0]!.reason).toMatch(/^no reason given/);
  });

  it('ends with the one plain line CI reads, after a table and the skips', () => {
    const lines = formatSummary(s);
    expect(lines.at(-1)).toBe('tests: 3 passed, 1 failed, 3 skipped');
    expect(lines.join('\n')).toMatch(/^ {2}qemu +0 +0 +2 {2}node-agent:qemu$/m);
    expect(lines).toContain('  qemu: apps/node-agent/test/d.qemu.spec.ts (2 tests): HVS_TEST_QEMU is "0"');
    expect(lines.join('\n')).toMatch(/chaos .*\(1 file\(s\) failed to run\)/);
  });
});

describe('the CI rule (CI=true)', () => {
  const s = summarize(REPORT, '/repo');

  it('fails a skipped tier this machine can run, naming the tier and the reasons', () => {
    const p = ciProblems(s, { machineTiers: ['qemu', 'system'], fullRun: true });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^HVS-TEST-TIER-SKIPPED: the qemu tier skipped 2 test\(s\) on a machine that can run it .*: HVS_TEST_QEMU is "0"; fix: /);
  });

  it('fails a tier that ran nothing on a full run, not on a run of some paths', () => {
    const p = ciProblems(s, { machineTiers: ['chaos'], fullRun: true });
    expect(p).toEqual([expect.stringMatching(/^HVS-TEST-TIER-NOT-RUN: the chaos tier ran no test/)]);
    expect(ciProblems(s, { machineTiers: ['chaos'], fullRun: false })).toEqual([]);
  });

  it('lets a machine skip what it cannot run, and refuses to guess when tier_gates did not run', () => {
    expect(ciProblems(s, { machineTiers: [], fullRun: true })).toEqual([]);
    expect(ciProblems(s, { machineTiers: undefined, fullRun: true })).toEqual([expect.stringMatching(/^HVS-TEST-TIERS-UNKNOWN: .*fix: run the tests with `npm test`/)]);
  });
});
