// A jest reporter for scripts/run-jest.js: writes, per test file, its project (displayName, whose
// tier jest.tiers.js defines), whether it failed to run, and each test's status and titles, to
// the file named by HVS_TIER_REPORT. Jest's own --json output carries no project, hence this.
const fs = require('node:fs');

class TierReporter {
  onRunComplete(_contexts, results) {
    const out = process.env.HVS_TIER_REPORT;
    if (!out) return;
    const files = results.testResults.map((r) => ({
      path: r.testFilePath,
      project: typeof r.displayName === 'string' ? r.displayName : r.displayName?.name ?? '',
      execError: Boolean(r.testExecError),
      tests: r.testResults.map((t) => ({ status: t.status, titles: [...t.ancestorTitles, t.title] })),
    }));
    fs.writeFileSync(out, JSON.stringify({ files }));
  }
}

module.exports = TierReporter;
