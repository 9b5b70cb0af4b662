// bench/pki runs under jest only to reuse the controller's TypeScript and the etcd harness
// without a build step; it prints figures and asserts nothing about time. See bench/README.md.
const preset = require('../../jest.preset.js');

module.exports = { ...preset, rootDir: __dirname, displayName: 'bench-pki', maxWorkers: 1, testMatch: ['**/verify.bench.ts'], testTimeout: 600_000 };
