// @unraid/libvirt is ESM-only: map it to its dist entry and let @swc/jest transpile it to
// CommonJS (swc rewrites its `import.meta.url`, so `createRequire` still finds the .node file).
// Its `require('../build/Release/libvirt')` needs 'node' among jest's module extensions.
// Production code loads it with a real dynamic import (src/hypervisor/libvirt-binding.ts).
const path = require('node:path');
const preset = require('../../jest.preset.js');
const { tierProjects } = require('../../jest.tiers.js');

// Three tiers: unit, medium (libvirt's test driver, qemu-img, agent processes) and qemu (real QEMU).
module.exports = {
  projects: tierProjects('node-agent', {
    ...preset,
    rootDir: __dirname,
    moduleFileExtensions: [...preset.moduleFileExtensions, 'node'],
    transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@unraid)/)'],
    moduleNameMapper: {
      '^@unraid/libvirt$': path.join(__dirname, '../../node_modules/@unraid/libvirt/dist/index.js'),
      ...preset.moduleNameMapper,
    },
  }, { qemu: true }),
};
