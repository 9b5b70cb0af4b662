const { tierProjects } = require('../../jest.tiers.js');

module.exports = { projects: tierProjects('host', { ...require('../../jest.preset.js'), rootDir: __dirname }) };
