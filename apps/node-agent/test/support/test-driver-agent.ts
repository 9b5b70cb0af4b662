import { join } from 'node:path';
import { createAgent, type Agent } from '../../src/agent/agent';
import { loadAgentConfig } from '../../src/config/config';
import { writeTestNode } from '../../src/hypervisor';
import { agentClient } from './agent-client';
import { tempDir } from './fixtures';

export interface TestDriverAgent {
  dir: string;
  agent: Agent;
  client: ReturnType<typeof agentClient>;
  /** Closes the client, stops the agent, removes the temp dir; safe after a failed start. */
  stop(): Promise<void>;
}

/**
 * An agent in-process named node-1 on the libvirt test driver (a generated node.xml with 4 CPUs
 * and 8 GiB), a real qemu-img pool `default` in a temp dir, gRPC and metrics on loopback ports
 * the kernel picks, and a client connected to it.
 */
export async function startTestDriverAgent(prefix: string): Promise<TestDriverAgent> {
  const { dir, cleanup } = await tempDir(prefix);
  let agent: Agent | undefined;
  let client: ReturnType<typeof agentClient> | undefined;
  const stop = async () => {
    client?.close();
    await agent?.stop();
    await cleanup();
  };
  try {
    const poolDir = join(dir, 'pools', 'default');
    const uri = await writeTestNode(join(dir, 'node.xml'), { poolDir, cpus: 4, memoryBytes: 8 * 1024 ** 3 });
    agent = createAgent(loadAgentConfig({
      HVS_NODE_NAME: 'node-1', HVS_LIBVIRT_URI: uri, HVS_AGENT_STATE_DIR: join(dir, 'state'), HVS_AGENT_POOLS: `default=${poolDir}`,
      HVS_AGENT_LISTEN: '127.0.0.1:0', HVS_AGENT_METRICS_LISTEN: '127.0.0.1:0', HVS_LOG_LEVEL: 'silent',
    }));
    await agent.start();
    client = agentClient(agent.address);
    return { dir, agent, client, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
