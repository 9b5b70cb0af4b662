const path = require('node:path');
const preset = require('../../jest.preset.js');
const { tierProjects } = require('../../jest.tiers.js');

// hvctl imports some of @hvs/domain by deep path (`@hvs/domain/dist/errors`) to start fast;
// in tests those resolve to the same source files `@hvs/domain` does (one HvsError class).
module.exports = {
  projects: tierProjects('hvctl', {
    ...preset,
    rootDir: __dirname,
    moduleNameMapper: { '^@hvs/domain/dist/(.*)$': path.join(__dirname, '../../libs/domain/src/$1'), ...preset.moduleNameMapper },
  }),
};
