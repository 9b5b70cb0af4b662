// bench/ha runs under jest only to reuse the chaos lab's TypeScript (test/chaos/lab.ts) without a
// build step; it prints figures and asserts nothing about time. See bench/README.md.
const preset = require('../../jest.preset.js');

module.exports = { ...preset, rootDir: __dirname, displayName: 'bench-ha', maxWorkers: 1, testMatch: ['**/ha.bench.ts'], testTimeout: 1_800_000 };
