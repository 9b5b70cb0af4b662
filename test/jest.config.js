// e2e tests and the harness: processes as a user runs them. The system tier (test/system) has
// its own config (it loads the libvirt binding and runs one file at a time).
module.exports = {
  ...require('../jest.preset.js'),
  rootDir: __dirname,
  displayName: 'e2e',
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/system/'],
};
