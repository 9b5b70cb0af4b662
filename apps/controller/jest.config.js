const { tierProjects } = require('../../jest.tiers.js');

module.exports = { projects: tierProjects('controller', { ...require('../../jest.preset.js'), rootDir: __dirname }) };
