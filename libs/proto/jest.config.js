const { tierProjects } = require('../../jest.tiers.js');

module.exports = { projects: tierProjects('proto', { ...require('../../jest.preset.js'), rootDir: __dirname }) };
