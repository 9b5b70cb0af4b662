// bench/guest runs under jest only to reuse the system tier's TypeScript (test/system/debian-guest.ts,
// test/harness/two-hosts.ts) without a build step; it prints figures and asserts nothing about time.
// See bench/README.md.
const preset = require('../../jest.preset.js');

module.exports = { ...preset, rootDir: __dirname, displayName: 'bench-guest', maxWorkers: 1, testMatch: ['**/guest.bench.ts'], testTimeout: 3_600_000 };
