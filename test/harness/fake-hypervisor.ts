/**
 * The node agent as a process on the fake hypervisor (the one behind our own HypervisorDriver
 * interface), steered by knobs from the environment, for process tests that need a host action
 * to take long enough to kill the agent in the middle of it (e.g. a VM's removal). Loaded by
 * agent-child.js when HVS_TEST_FAKE_HYPERVISOR=1. Knobs:
 * - HVS_TEST_FAKE_SHUTDOWN_IGNORED=1: guests ignore ACPI, so a shutdown (and a removal of a
 *   running VM) lasts the agent's whole --shutdown-timeout-ms before the domain is destroyed.
 * The fake keeps its domains in the process: after a kill they are gone, like libvirt's test
 * driver; volumes are real files in the agent's pools and survive.
 */
import { FakeHypervisorDriver } from '../../apps/node-agent/src/hypervisor';
import type { runAgent } from '../../apps/node-agent/src/main';

export function runOnFakeHypervisor(run: typeof runAgent, argv: string[], env: NodeJS.ProcessEnv): ReturnType<typeof runAgent> {
  const driver = new FakeHypervisorDriver({ uri: 'fake://agent-process' });
  driver.shutdownIgnored = env.HVS_TEST_FAKE_SHUTDOWN_IGNORED === '1';
  return run(argv, env, undefined, {
    driver, choice: { uri: driver.uri, mode: 'test', domainType: 'qemu', reason: 'HVS_TEST_FAKE_HYPERVISOR=1: the fake hypervisor of the tests' },
  });
}
