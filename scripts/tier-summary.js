// The closing summary of `npm test` (scripts/run-jest.js): passed / failed / skipped per tier
// (jest.tiers.js), every skip with its reason (the "[skipped: why]" that test/harness/tiers.ts
// puts in a title), and the CI rule: under CI=true, a gated tier this machine can run (tier_gates
// in scripts/lib.sh exports HVS_MACHINE_TIERS) must not be skipped. Pure functions: test/tier-summary.spec.ts.
const path = require('node:path');
const { tierOf, TIERS } = require('../jest.tiers.js');

const SKIP_MARK = ' [skipped: ';

/** The reason in a describeWhen title, or undefined. */
function skipReason(titles) {
  for (const t of titles) {
    const i = t.indexOf(SKIP_MARK);
    if (i >= 0 && t.endsWith(']')) return t.slice(i + SKIP_MARK.length, -1);
  }
  return undefined;
}

/** Counts per tier, and skips grouped by tier, file and reason. */
function summarize(report, root = process.cwd()) {
  const tiers = new Map();
  const skips = new Map();
  for (const f of report.files) {
    const tier = tierOf(f.project);
    const row = tiers.get(tier) ?? { tier, passed: 0, failed: 0, skipped: 0, brokenFiles: 0, projects: new Set() };
    tiers.set(tier, row);
    row.projects.add(f.project || '(no displayName)');
    if (f.execError) row.brokenFiles++;
    for (const t of f.tests) {
      if (t.status === 'passed') row.passed++;
      else if (t.status === 'failed') row.failed++;
      else {
        row.skipped++;
        const reason = skipReason(t.titles) ?? 'no reason given (a skip outside test/harness/tiers.ts)';
        const file = path.relative(root, f.path);
        const key = `${tier}\0${file}\0${reason}`;
        const s = skips.get(key) ?? { tier, file, reason, count: 0 };
        s.count++;
        skips.set(key, s);
      }
    }
  }
  const order = (t) => (TIERS.includes(t) ? TIERS.indexOf(t) : TIERS.length);
  return {
    tiers: [...tiers.values()].sort((a, b) => order(a.tier) - order(b.tier) || a.tier.localeCompare(b.tier)),
    skips: [...skips.values()].sort((a, b) => order(a.tier) - order(b.tier) || a.file.localeCompare(b.file)),
  };
}

/** The summary as lines, ending with the one line CI reads: "tests: N passed, N failed, N skipped". */
function formatSummary(summary) {
  const lines = ['', 'Per tier (jest.tiers.js):', '  tier       passed  failed  skipped  projects'];
  const sum = { passed: 0, failed: 0, skipped: 0 };
  for (const r of summary.tiers) {
    for (const k of Object.keys(sum)) sum[k] += r[k];
    const broken = r.brokenFiles ? `  (${r.brokenFiles} file(s) failed to run)` : '';
    lines.push(`  ${r.tier.padEnd(9)} ${String(r.passed).padStart(7)} ${String(r.failed).padStart(7)} ${String(r.skipped).padStart(8)}  ${[...r.projects].sort().join(' ')}${broken}`);
  }
  if (summary.skips.length) {
    lines.push('Skipped, and why:');
    for (const s of summary.skips) lines.push(`  ${s.tier}: ${s.file} (${s.count} test${s.count === 1 ? '' : 's'}): ${s.reason}`);
  }
  lines.push(`tests: ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
  return lines;
}

/**
 * Under CI=true: the problems (coded messages) that fail the run. `machineTiers` are the gated
 * tiers tier_gates found this machine can run; each must have run (on a full run) and skipped nothing.
 */
function ciProblems(summary, { machineTiers, fullRun }) {
  const problems = [];
  if (machineTiers === undefined) {
    return ['HVS-TEST-TIERS-UNKNOWN: CI=true but HVS_MACHINE_TIERS is not set, so this run cannot tell which tiers the machine can run; fix: run the tests with `npm test` (scripts/test.sh runs tier_gates first)'];
  }
  for (const tier of machineTiers) {
    const row = summary.tiers.find((r) => r.tier === tier);
    const why = [...new Set(summary.skips.filter((s) => s.tier === tier).map((s) => s.reason))].join('; ');
    if (row && row.skipped > 0) {
      problems.push(`HVS-TEST-TIER-SKIPPED: the ${tier} tier skipped ${row.skipped} test(s) on a machine that can run it (tier_gates in scripts/lib.sh found root, libvirtd, qemu-system-x86_64${tier === 'qemu' ? '' : ' and a working `ip netns`'}): ${why}; fix: remove what turned it off (HVS_TEST_QEMU=0 / HVS_TEST_SYSTEM=0) or install what the reason names, then run npm test again`);
    } else if (fullRun && (!row || row.passed + row.failed === 0)) {
      problems.push(`HVS-TEST-TIER-NOT-RUN: the ${tier} tier ran no test on a machine that can run it; fix: check that jest.config.js lists its project (jest.tiers.js names the tiers)`);
    }
  }
  return problems;
}

module.exports = { SKIP_MARK, skipReason, summarize, formatSummary, ciProblems };
