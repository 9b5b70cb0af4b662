const { tierProjects } = require('../../jest.tiers.js');

module.exports = { projects: tierProjects('domain', { ...require('../../jest.preset.js'), rootDir: __dirname }) };
