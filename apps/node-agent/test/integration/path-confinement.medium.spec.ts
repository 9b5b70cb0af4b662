/**
 * The symlink escape of issue 12, end to end in the agent: over gRPC, on libvirt's test driver,
 * a VM whose kernel is `etclink/shadow` (etclink -> /etc in the pool) is never defined; Watch
 * (what the controller reads into `hvctl describe vm`) reports it Failed with
 * HVS-AGENT-PATH-OUTSIDE-POOL; once the operator puts a real file there, the agent's own retry
 * defines and starts it.
 */
import { rm, symlink, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { domainName } from '@hvs/domain';
import type { Agent } from '../../src/agent/agent';
import { WatchView, type agentClient } from '../support/agent-client';
import { assignRequest, testVm, until } from '../support/fixtures';
import { startTestDriverAgent } from '../support/test-driver-agent';

const UID = '00000000-0000-4000-8000-0000000000e1';

describe('agent refuses explicit paths that leave their pool (libvirt test driver)', () => {
  let stop: () => Promise<void>;
  let agent: Agent;
  let client: ReturnType<typeof agentClient>;
  let watch: WatchView;
  let pool: string;

  beforeAll(async () => {
    ({ agent, client, stop } = await startTestDriverAgent('hvs-agent-paths-'));
    watch = new WatchView(client.raw);
    pool = agent.config.pools['default']!;
    await symlink('/etc', join(pool, 'etclink'));
  });
  afterAll(async () => {
    watch?.cancel();
    await stop?.();
  });

  it('never defines the domain and reports the coded refusal, then starts once the link is replaced by a file', async () => {
    const vm = testVm('escape', UID);
    vm.spec.boot = { kernel: 'etclink/shadow' };
    await expect(client.assign(assignRequest([vm], 1, 1, 'node-1'))).resolves.toMatchObject({ accepted: true, problems: [] });

    const seen = await until('the VM reported Failed', () => {
      const o = watch.vms.get(UID);
      return o?.phase === 'Failed' && o.error ? o : undefined;
    });
    expect(seen).toMatchObject({ reason: 'PathRefused', error: { code: 'HVS-AGENT-PATH-OUTSIDE-POOL', path: 'spec.boot.kernel' } });
    expect(seen.error?.why).toContain('/etc/shadow');
    expect(seen.error?.fix).not.toBe('');
    expect(await agent.driver.get(domainName(UID))).toBeUndefined();

    await rm(join(pool, 'etclink'));
    await mkdir(join(pool, 'etclink'));
    await writeFile(join(pool, 'etclink', 'shadow'), 'not really a kernel');
    await until('the VM Running after the fix', () => watch.vms.get(UID)?.phase === 'Running', 90_000);
    expect(await agent.driver.get(domainName(UID))).toMatchObject({ state: 'running' });
  }, 120_000);
});
