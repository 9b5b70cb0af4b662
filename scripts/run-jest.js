#!/usr/bin/env node
// Runs jest over every project (root jest.config.js) and ends with one plain summary line
// ("tests: N passed, N failed, N skipped") that CI reads. Exit code is jest's.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-jest-')), 'result.json');
const args = ['jest', '--ci', '--json', `--outputFile=${out}`, ...process.argv.slice(2)];
const r = spawnSync('npx', args, { stdio: 'inherit', cwd: path.join(__dirname, '..') });
let code = r.status ?? 1;
try {
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  const skipped = j.numPendingTests + j.numTodoTests;
  console.log(`\ntests: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${skipped} skipped`);
  if (j.numFailedTestSuites > 0 && code === 0) code = 1;
} catch (e) {
  console.error(`HVS-TEST-NO-RESULT: jest wrote no result file (${e.message}); see its output above`);
  code = code || 1;
} finally {
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
}
process.exit(code);
