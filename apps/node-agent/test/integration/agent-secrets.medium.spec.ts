/**
 * Secret material on a node: a real agent over real gRPC on libvirt's test driver gets a VM with
 * inline cloud-init and resolved secretRefs; no file the agent writes holds any of it (nor its
 * base64) but the VM's cloud-init seed (the guest's copy, 0600 in the pool), the state file is
 * 0600, and the material is held in memory for the seed builder.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cloudInitSeedName } from '@hvs/domain';
import type { Agent } from '../../src/agent/agent';
import { agentClient } from '../support/agent-client';
import { assignRequest, testVm, until } from '../support/fixtures';
import { startTestDriverAgent } from '../support/test-driver-agent';

const UID = '00000000-0000-4000-8000-00000000c1d0';
const canary = (p: string) => `${p}-${randomBytes(12).toString('hex')}`;
const USER_DATA = canary('ud');
const NET = canary('nc');
const PASSWORD = canary('pw');

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe('secret material on the agent', () => {
  let stop: () => Promise<void>;
  let agent: Agent;
  let dir: string;
  let client: ReturnType<typeof agentClient>;

  beforeAll(async () => {
    ({ agent, client, stop, dir } = await startTestDriverAgent('hvs-agent-secrets-'));
  });
  afterAll(async () => {
    await stop?.();
  });

  it('an Assign with cloud-init and secrets leaves no trace of them in any file the agent wrote', async () => {
    const base = testVm('web-1', UID);
    const vm = { ...base, spec: { ...base.spec, cloudInit: { userData: `#cloud-config\npassword: ${USER_DATA}\n`, networkConfig: `version: 2 # ${NET}`, secretRefs: ['db'] } } };
    const req = assignRequest([vm], 1, 1, 'node-1');
    req.vms[0]!.secrets = { 'db/password': Buffer.from(PASSWORD) };
    await expect(client.assign(req)).resolves.toMatchObject({ accepted: true, observedGeneration: 1 });

    const material = agent.store.cloudInit(UID);
    expect(material).toEqual({ userData: `#cloud-config\npassword: ${USER_DATA}\n`, networkConfig: `version: 2 # ${NET}`, secrets: { 'db/password': Buffer.from(PASSWORD) } });
    expect(agent.store.desired(UID)?.spec.cloudInit).toEqual({ secretRefs: ['db'] });

    expect((await stat(agent.store.path)).mode & 0o777).toBe(0o600);
    await until('the VM Running (its seed built)', () => agent.observed.get(UID)?.phase === 'Running');
    const seed = join(dir, 'pools', 'default', cloudInitSeedName(UID));
    expect((await stat(seed)).mode & 0o777).toBe(0o600);
    const files = await filesUnder(dir);
    expect(files).toContain(agent.store.path);
    for (const f of files.filter((p) => p !== seed)) {
      const bytes = await readFile(f);
      for (const v of [USER_DATA, NET, PASSWORD]) {
        for (const t of [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('hex')]) expect({ f, found: bytes.includes(t) }).toEqual({ f, found: false });
      }
    }
  });
});
