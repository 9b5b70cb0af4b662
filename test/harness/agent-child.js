// Runs the node agent's real TypeScript sources as a process (inside a lab namespace, or for the
// agent's own process tests through apps/node-agent/test/integration/agent-child.js), compiled
// on load with @swc/core. Usage: node agent-child.js [agent flags]; settings from HVS_* env. A dynamic
// import() of a relative path (a lazily loaded agent module, `import('../pki/index.js')`) becomes
// require() so it resolves to the .ts source; other dynamic imports stay native (@unraid/libvirt
// is ESM-only). HVS_TEST_FAKE_HYPERVISOR=1 runs it on the fake hypervisor instead (fake-hypervisor.ts).
const path = require('node:path');
const { root } = require('./ts-register.js');

const { runAgent } = require(path.join(root, 'apps/node-agent/src/main.ts'));
// HVS_TEST_FAKE_HYPERVISOR=1: the agent on the fake hypervisor with its knobs (fake-hypervisor.ts).
if (process.env.HVS_TEST_FAKE_HYPERVISOR === '1') require(path.join(__dirname, 'fake-hypervisor.ts')).runOnFakeHypervisor(runAgent, process.argv.slice(2), process.env);
else runAgent(process.argv.slice(2), process.env);
