// e2e tests and the harness: processes as a user runs them. The system tier (test/system) and the
// chaos tier (test/chaos) have their own configs (one file at a time).
module.exports = {
  ...require('../jest.preset.js'),
  rootDir: __dirname,
  displayName: 'e2e',
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/system/', '/chaos/'],
};
