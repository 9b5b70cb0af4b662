#!/usr/bin/env node
// Runs jest over every project (root jest.config.js, one project per tier: jest.tiers.js) and
// ends with the per-tier summary, every skip with its reason, and one plain line CI reads:
// "tests: N passed, N failed, N skipped" (scripts/tier-summary.js). Exit code is jest's, and 1
// under CI=true when a tier this machine can run was skipped (docs/system-tests.md#test-tiers).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ciProblems, formatSummary, summarize } = require('./tier-summary.js');

const root = path.join(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-jest-'));
const json = path.join(dir, 'result.json');
const tiers = path.join(dir, 'tiers.json');
const userArgs = process.argv.slice(2);
// --reporters takes a list: it goes first, so that it cannot swallow the test paths given.
const args = ['jest', '--reporters=default', `--reporters=${path.join(__dirname, 'jest-tier-reporter.js')}`, '--ci', '--json', `--outputFile=${json}`, ...userArgs];
const r = spawnSync('npx', args, { stdio: 'inherit', cwd: root, env: { ...process.env, HVS_TIER_REPORT: tiers } });
let code = r.status ?? 1;
try {
  const j = JSON.parse(fs.readFileSync(json, 'utf8'));
  const summary = summarize(JSON.parse(fs.readFileSync(tiers, 'utf8')), root);
  const lines = formatSummary(summary);
  const last = lines.pop();
  for (const line of lines) console.log(line);
  if (j.numFailedTestSuites > 0 && code === 0) code = 1;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    const machine = process.env.HVS_MACHINE_TIERS;
    const problems = ciProblems(summary, { machineTiers: machine === undefined ? undefined : machine.split(/\s+/).filter(Boolean), fullRun: userArgs.length === 0 });
    for (const p of problems) console.log(p);
    if (problems.length) code = code || 1;
  }
  console.log(last);
} catch (e) {
  console.error(`HVS-TEST-NO-RESULT: jest wrote no result file (${e.message}); see its output above`);
  code = code || 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
