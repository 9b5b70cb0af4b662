// One jest run over every project of every package, one project per tier (jest.tiers.js):
// `npm test` (scripts/run-jest.js) uses this.
const fs = require('node:fs');
const path = require('node:path');
const { flattenProjects } = require('./jest.tiers.js');

const configs = ['libs', 'apps']
  .flatMap((dir) => fs.readdirSync(path.join(__dirname, dir)).sort().map((name) => path.join(__dirname, dir, name, 'jest.config.js')))
  .concat(['test/jest.config.js', 'test/system/jest.config.js', 'test/chaos/jest.config.js'].map((f) => path.join(__dirname, f)))
  .filter((f) => fs.existsSync(f))
  .map((f) => require(f));

module.exports = { projects: flattenProjects(configs) };
