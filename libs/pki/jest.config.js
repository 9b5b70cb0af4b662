const { tierProjects } = require('../../jest.tiers.js');

module.exports = { projects: tierProjects('pki', { ...require('../../jest.preset.js'), rootDir: __dirname }) };
