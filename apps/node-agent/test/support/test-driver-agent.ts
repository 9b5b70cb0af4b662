import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { createAgent, type Agent } from '../../src/agent/agent';
import { loadAgentConfig } from '../../src/config/config';
import { writeTestNode } from '../../src/hypervisor';
import { agentClient } from './agent-client';
import { tempDir } from './fixtures';

export interface TestDriverAgent {
  dir: string;
  agent: Agent;
  client: ReturnType<typeof agentClient>;
  /**
   * Stops the agent and starts a new one on the same state dir and node.xml (a new in-process
   * test driver: no domains, as after a host reboot), with a new client.
   */
  restart(): Promise<void>;
  /** Closes the client, stops the agent, removes the temp dir; safe after a failed start. */
  stop(): Promise<void>;
}

export interface TestDriverAgentOptions {
  /** Where the agent logs (default: nowhere, level silent); with it, level trace. */
  logDestination?: DestinationStream;
}

/**
 * An agent in-process named node-1 on the libvirt test driver (a generated node.xml with 4 CPUs
 * and 8 GiB), a real qemu-img pool `default` in a temp dir, gRPC and metrics on loopback ports
 * the kernel picks, and a client connected to it.
 */
export async function startTestDriverAgent(prefix: string, opts: TestDriverAgentOptions = {}): Promise<TestDriverAgent> {
  const { dir, cleanup } = await tempDir(prefix);
  const poolDir = join(dir, 'pools', 'default');
  let uri = '';
  const t: TestDriverAgent = {
    dir, agent: undefined as unknown as Agent, client: undefined as unknown as ReturnType<typeof agentClient>,
    restart: async () => {
      t.client?.close();
      await t.agent?.stop();
      const agent = createAgent(loadAgentConfig({
        HVS_NODE_NAME: 'node-1', HVS_LIBVIRT_URI: uri, HVS_AGENT_STATE_DIR: join(dir, 'state'), HVS_AGENT_POOLS: `default=${poolDir}`,
        HVS_AGENT_LISTEN: '127.0.0.1:0', HVS_AGENT_METRICS_LISTEN: '127.0.0.1:0', HVS_LOG_LEVEL: opts.logDestination ? 'trace' : 'silent',
      }), opts.logDestination ? { logDestination: opts.logDestination } : {});
      t.agent = agent;
      await agent.start();
      t.client = agentClient(agent.address);
    },
    stop: async () => {
      t.client?.close();
      await t.agent?.stop();
      await cleanup();
    },
  };
  try {
    uri = await writeTestNode(join(dir, 'node.xml'), { poolDir, cpus: 4, memoryBytes: 8 * 1024 ** 3 });
    await t.restart();
    return t;
  } catch (e) {
    await t.stop();
    throw e;
  }
}
