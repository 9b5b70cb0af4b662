// e2e and system tests: processes as a user runs them (see test/README.md).
module.exports = { ...require('../jest.preset.js'), rootDir: __dirname, displayName: 'e2e' };
