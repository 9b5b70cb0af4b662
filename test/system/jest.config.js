// The system tier (docs/system-tests.md): real libvirtd + QEMU in network namespaces, opt-in with
// HVS_TEST_SYSTEM=1. Like apps/node-agent's config it maps the ESM-only @unraid/libvirt binding to
// its dist entry for @swc/jest, because these tests drive LibvirtDriver. One worker: each file
// starts its own pair of libvirt hosts and TCG guests, and the machine has 2 cores.
const path = require('node:path');
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  rootDir: __dirname,
  displayName: 'system',
  maxWorkers: 1,
  moduleFileExtensions: [...preset.moduleFileExtensions, 'node'],
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@unraid)/)'],
  moduleNameMapper: {
    '^@unraid/libvirt$': path.join(__dirname, '../../node_modules/@unraid/libvirt/dist/index.js'),
    ...preset.moduleNameMapper,
  },
};
