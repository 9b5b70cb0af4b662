import { status } from '@grpc/grpc-js';
import { join } from 'node:path';
import { hvsErrorFromServiceError } from '@hvs/proto';
import { createAgent } from '../../src/agent/agent';
import { loadAgentConfig } from '../../src/config/config';
import { writeTestNode } from '../../src/hypervisor';
import { agentClient } from '../support/agent-client';
import { assignRequest, tempDir, testVm } from '../support/fixtures';
import { migrate, uid } from './migrate-call';

jest.setTimeout(30_000);

describe('Agent.Migrate on libvirt\'s test driver', () => {
  it('answers FAILED_PRECONDITION HVS-AGENT-MIGRATE-UNSUPPORTED with the offline fix', async () => {
    const { dir, cleanup } = await tempDir('hvs-migrate-test-');
    const pool = join(dir, 'pool');
    const uri = await writeTestNode(join(dir, 'node.xml'), { poolDir: pool, cpus: 2, memoryBytes: 4 * 1024 ** 3 });
    const agent = createAgent(loadAgentConfig({
      HVS_NODE_NAME: 'node-t', HVS_LIBVIRT_URI: uri, HVS_AGENT_STATE_DIR: join(dir, 'state'), HVS_AGENT_POOLS: `default=${pool}`,
      HVS_AGENT_LISTEN: '127.0.0.1:0', HVS_AGENT_METRICS_LISTEN: 'off', HVS_LOG_LEVEL: 'silent',
    }));
    try {
      await agent.start();
      const client = agentClient(agent.address);
      await client.assign(assignRequest([testVm('t-1', uid(7))], 1, 5, 'node-t'));
      const r = await migrate(agent.address, { vmUid: uid(7), targetUri: 'qemu+tcp://elsewhere/system', fencingToken: 5 });
      client.close();
      expect(r.error).toMatchObject({ code: status.FAILED_PRECONDITION });
      const e = hvsErrorFromServiceError(r.error);
      expect(e).toMatchObject({ code: 'HVS-AGENT-MIGRATE-UNSUPPORTED' });
      expect(e.fix).toMatch(/--mode offline/);
    } finally {
      await agent.stop();
      await cleanup();
    }
  });
});
