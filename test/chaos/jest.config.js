// The chaos tier (docs/ha.md, docs/system-tests.md): a controller in this process and agents
// as processes in their own network namespaces, opt-in with HVS_TEST_SYSTEM=1 like the system
// tier. One worker: each file builds its own namespaces and the machine has 2 cores.
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  rootDir: __dirname,
  displayName: 'chaos',
  maxWorkers: 1,
};
