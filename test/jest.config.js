// The specs of test/ itself: the repository's own rules and the harness (tiers repo:unit and
// repo:medium), and the e2e tier (test/e2e: processes as a user runs them). The system tier
// (test/system) and the chaos tier (test/chaos) have their own configs (one file at a time).
const { tierProjects } = require('../jest.tiers.js');

const base = { ...require('../jest.preset.js'), rootDir: __dirname };
module.exports = {
  projects: [
    ...tierProjects('repo', base, { ignore: ['/e2e/', '/system/', '/chaos/'] }),
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/e2e/**/*.spec.ts'] },
  ],
};
