const { tierProjects } = require('../../jest.tiers.js');

module.exports = { projects: tierProjects('reconcile', { ...require('../../jest.preset.js'), rootDir: __dirname }) };
