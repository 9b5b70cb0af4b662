/**
 * The agent on libvirt's test driver with Networks: each assigned Network is reported Simulated
 * (nothing created on the host), a VM's NIC plugs into our bridge hvs-<hash> (libvirt's test
 * driver defines and starts it although the bridge does not exist), and a VM waits Pending with
 * NetworkNotReady until its Network is ready, then starts by itself.
 */
import { join } from 'node:path';
import { toProtoObject } from '@hvs/proto';
import type { VirtualMachine } from '@hvs/domain';
import { createAgent, type Agent } from '../../src/agent/agent';
import { loadAgentConfig } from '../../src/config/config';
import { writeTestNode } from '../../src/hypervisor';
import { nameClash } from '../../src/network/errors';
import { bridgeName } from '../../src/network/naming';
import { SimulatedNetworkDriver } from '../../src/network/simulated-driver';
import { assignInProcess, assignRequest, tempDir, testVm, until } from '../support/fixtures';
import { network } from './fixtures';

jest.setTimeout(60_000);

const UID = 'aaaaaaaa-0000-4000-8000-0000000000a1';
const LAB = network('lab', { mode: 'nat', subnet: '10.77.0.0/24', mtu: 1400 });

function vmOn(net: string): VirtualMachine {
  const vm = testVm('web-1', UID);
  return { ...vm, spec: { ...vm.spec, networks: [{ name: 'eth0', network: net, mac: '52:54:00:77:00:10' }] } };
}

describe('agent networks on the libvirt test driver', () => {
  let agent: Agent | undefined;
  let cleanup: () => Promise<void>;
  let driver: SimulatedNetworkDriver;

  beforeEach(async () => {
    const t = await tempDir('hvs-agent-net-');
    cleanup = t.cleanup;
    const poolDir = join(t.dir, 'pools', 'default');
    const uri = await writeTestNode(join(t.dir, 'node.xml'), { poolDir });
    driver = new SimulatedNetworkDriver();
    agent = createAgent(loadAgentConfig({
      HVS_NODE_NAME: 'node-1', HVS_LIBVIRT_URI: uri, HVS_AGENT_STATE_DIR: join(t.dir, 'state'), HVS_AGENT_POOLS: `default=${poolDir}`,
      HVS_AGENT_LISTEN: '127.0.0.1:0', HVS_AGENT_METRICS_LISTEN: '127.0.0.1:0', HVS_LOG_LEVEL: 'silent',
    }), { networkDriver: driver });
    await agent.start();
  });

  afterEach(async () => {
    await agent?.stop();
    await cleanup();
  });

  const assign = (generation: number) => assignInProcess(agent!, { ...assignRequest([vmOn('lab')], generation, 1, 'node-1'), networks: [toProtoObject(LAB)] });

  it('reports the Network Simulated, and the VM runs with its NIC on our bridge (MTU rendered)', async () => {
    await assign(1);
    await until('the VM running', () => agent!.observed.get(UID)?.phase === 'Running');
    expect(agent!.observed.network('lab')).toMatchObject({ bridge: bridgeName('lab'), ready: true, reason: 'Simulated', message: expect.stringContaining('test driver') });
    expect(driver.plans.get('lab')?.bridge).toBe(bridgeName('lab'));
    const xml = agent!.store.rendered(UID)?.xml ?? '';
    expect(xml).toContain(`<source bridge='${bridgeName('lab')}'/>`);
    expect(xml).toContain("<mtu size='1400'/>");
  });

  it('keeps the VM Pending with NetworkNotReady while its Network fails, and starts it once the Network is ready', async () => {
    driver.failNext(nameClash(bridgeName('lab'), 'lab', undefined));
    await assign(1);
    const pending = await until('the VM waiting for its network', () => {
      const o = agent!.observed.get(UID);
      return o?.reason === 'NetworkNotReady' ? o : undefined;
    });
    expect(pending).toMatchObject({ phase: 'Pending', message: expect.stringContaining('NameClash'), error: { code: 'HVS-NET-NAME-CLASH' } });
    expect(await agent!.driver.get(`hvs-${UID}`)).toBeUndefined();
    const { checks } = await agent!.diagnose();
    expect(checks.find((c) => c.name === 'network:lab')).toMatchObject({ ok: false, message: expect.stringContaining('NameClash'), fix: expect.stringContaining('ip -d link show') });
    await agent!.networks.reconcile();
    await until('the VM running once lab is ready', () => agent!.observed.get(UID)?.phase === 'Running');
  });
});
