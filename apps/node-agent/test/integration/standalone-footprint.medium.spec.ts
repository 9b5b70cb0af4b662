import { join } from 'node:path';
import { tempDir } from '../support/fixtures';

/**
 * Resource use (docs/node-agent.md): the PKI code (@hvs/pki loads @peculiar/x509 and its ASN.1
 * schemas, ~10 MiB of RSS) is loaded only by an agent with a controller. A standalone agent,
 * started on the libvirt test driver and stopped, must never load it; the same probe sees it
 * loaded once the agent's PKI module is imported, so the check can fail.
 */
// Starts a whole agent and compiles the PKI module through swc: seconds under load, not jest's 5 s default.
jest.setTimeout(60_000);

describe('standalone agent footprint', () => {
  let loads = 0;
  beforeAll(() => {
    jest.doMock('@peculiar/x509', () => {
      loads++;
      return jest.requireActual('@peculiar/x509');
    });
  });
  afterAll(() => jest.dontMock('@peculiar/x509'));

  it('a standalone agent starts and stops without loading @peculiar/x509; importing the PKI module loads it', async () => {
    const { dir, cleanup } = await tempDir('hvs-agent-footprint-');
    try {
      await jest.isolateModulesAsync(async () => {
        const { createAgent } = await import('../../src/agent/agent.js');
        const { loadAgentConfig } = await import('../../src/config/config.js');
        const { writeTestNode } = await import('../../src/hypervisor/index.js');
        const poolDir = join(dir, 'pools', 'default');
        const uri = await writeTestNode(join(dir, 'node.xml'), { poolDir, cpus: 2, memoryBytes: 4 * 1024 ** 3 });
        const agent = createAgent(loadAgentConfig({
          HVS_NODE_NAME: 'node-1', HVS_LIBVIRT_URI: uri, HVS_AGENT_STATE_DIR: join(dir, 'state'), HVS_AGENT_POOLS: `default=${poolDir}`,
          HVS_AGENT_LISTEN: '127.0.0.1:0', HVS_AGENT_METRICS_LISTEN: '127.0.0.1:0', HVS_LOG_LEVEL: 'silent',
        }));
        try {
          await agent.start();
          expect(agent.identity).toBeUndefined();
        } finally {
          await agent.stop();
        }
        expect(loads).toBe(0);
        await import('../../src/pki/index.js');
        expect(loads).toBe(1);
      });
    } finally {
      await cleanup();
    }
  });
});
