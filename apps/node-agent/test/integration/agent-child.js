// The node agent's real TypeScript sources as a separate process (for the kill -9 test and the
// controller's agent-process test): the shared launcher of test/harness (swc on load, no build
// step, so the code under test is the code in src/). Usage: node agent-child.js [agent flags].
require('../../../../test/harness/agent-child.js');
