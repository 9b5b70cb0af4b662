// The specs of test/ itself: the repository's own rules and the harness (tiers repo:unit and
// repo:medium), and the e2e tier (test/e2e: processes as a user runs them). The system tier
// (test/system) and the chaos tier (test/chaos) have their own configs (one file at a time).
const { tierProjects } = require('../jest.tiers.js');

const preset = require('../jest.preset.js');
// hvctl's sources import @hvs/domain by deep path (apps/hvctl/jest.config.js): the same source
// files here too, so specs that load hvctl code need no build and see one HvsError class.
const base = {
  ...preset, rootDir: __dirname,
  moduleNameMapper: { '^@hvs/domain/dist/(.*)$': require('node:path').join(__dirname, '../libs/domain/src/$1'), ...preset.moduleNameMapper },
};
module.exports = {
  projects: [
    ...tierProjects('repo', base, { ignore: ['/e2e/', '/system/', '/chaos/'] }),
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/e2e/**/*.spec.ts'] },
  ],
};
