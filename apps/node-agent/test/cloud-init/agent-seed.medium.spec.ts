/**
 * The NoCloud seed on a node: a real agent over real gRPC on libvirt's test driver, seeds built
 * by the real genisoimage and read back with isoinfo. The seed exists before the VM runs, is
 * 0600, labelled cidata and holds the renderer's three files; a changed spec gives a new
 * instance-id (a running VM reports it as pending a restart); the seed goes with the VM; a VM
 * whose material is missing (agent restart) or whose secretRef is unresolved waits
 * CloudInitPending and starts once an Assign brings it; user-data and secret values appear in no
 * log line, at level trace.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { cloudInitSeedName, domainName, renderCloudInitSeed, type VirtualMachine } from '@hvs/domain';
import { SEED_PENDING_RESTART } from '../../src/cloud-init/cloud-init-seeds';
import { WatchView } from '../support/agent-client';
import { assignRequest, testVm, until } from '../support/fixtures';
import { startTestDriverAgent, type TestDriverAgent } from '../support/test-driver-agent';

const run = promisify(execFile);
const UID = '00000000-0000-4000-8000-0000000c1001';
const UID2 = '00000000-0000-4000-8000-0000000c1002';
const MARKER = `ud-marker-${randomBytes(8).toString('hex')}`;
const SECRET = `pw-marker-${randomBytes(8).toString('hex')}`;

const isoText = (iso: string, file: string) => run('isoinfo', ['-R', '-i', iso, '-x', file], { encoding: 'utf8' }).then((r) => r.stdout);

function ciVm(name: string, uid: string, generation: number, cloudInit: NonNullable<VirtualMachine['spec']['cloudInit']>): VirtualMachine {
  const base = testVm(name, uid, { generation, disks: [{ name: 'root', size: '16MiB' }] });
  return { ...base, spec: { ...base.spec, cloudInit } };
}

function request(vms: VirtualMachine[], generation: number, secrets: Record<string, Record<string, Buffer>> = {}) {
  const req = assignRequest(vms, generation, generation, 'node-1');
  req.vms.forEach((v, i) => {
    v.secrets = secrets[vms[i]!.metadata.uid as string] ?? {};
  });
  return req;
}

describe('cloud-init seeds on the agent (libvirt test driver, genisoimage)', () => {
  const lines: string[] = [];
  const logs = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  let t: TestDriverAgent;
  /** Every Watch stream of the run (one per agent process): the events and VM reports it sent. */
  const watches: WatchView[] = [];
  const watch = () => watches.push(new WatchView(t.client.raw));
  const seedPath = (uid: string) => join(t.dir, 'pools', 'default', cloudInitSeedName(uid));
  const phase = (uid: string) => t.agent.observed.get(uid);

  beforeAll(async () => {
    t = await startTestDriverAgent('hvs-agent-seed-', { logDestination: logs });
    watch();
  });
  afterAll(async () => {
    for (const w of watches) w.cancel();
    await t?.stop();
  });

  const v1 = ciVm('ci-1', UID, 1, { hostname: 'ci-one', secretRefs: ['db'] });
  const userData = `#cloud-config\nruncmd:\n  - echo ${MARKER}\n`;
  const secrets = { [UID]: { 'db/password': Buffer.from(SECRET) } };

  it('builds the seed before the VM runs: 0600, label cidata, the three files as rendered', async () => {
    await expect(t.client.assign(request([{ ...v1, spec: { ...v1.spec, cloudInit: { ...v1.spec.cloudInit, userData } } }], 1, secrets))).resolves.toMatchObject({ accepted: true });
    await until('ci-1 Running', () => phase(UID)?.phase === 'Running');
    const iso = seedPath(UID);
    expect((await stat(iso)).mode & 0o777).toBe(0o600);
    expect((await run('isoinfo', ['-d', '-i', iso], { encoding: 'utf8' })).stdout).toMatch(/^Volume id: cidata$/m);
    const expected = renderCloudInitSeed(v1, [], { userData, secrets: secrets[UID] });
    expect(await isoText(iso, '/meta-data')).toBe(expected.metaData);
    expect(await isoText(iso, '/user-data')).toBe(expected.userData);
    expect(await isoText(iso, '/network-config')).toBe(expected.networkConfig);
    expect(expected.userData).toContain(MARKER);
    expect(expected.userData).toContain(Buffer.from(SECRET).toString('base64'));
    // The ISO9660 names too, for images whose cloud-init reads those.
    expect(await run('isoinfo', ['-i', iso, '-x', '/USER_DAT.;1'], { encoding: 'utf8' }).then((r) => r.stdout)).toBe(expected.userData);
    // The domain uses it, and no build leftovers stay in the state dir.
    expect(t.agent.store.rendered(UID)?.xml).toContain(`<source file='${iso}'/>`);
    await expect(run('find', [join(t.dir, 'state', 'tmp'), '-mindepth', '1'], { encoding: 'utf8' }).then((r) => r.stdout)).resolves.toBe('');
  });

  it('a changed cloud-init spec or secret value gives a new instance-id; the running VM reports it pending a restart', async () => {
    const before = await isoText(seedPath(UID), '/meta-data');
    const v2 = ciVm('ci-1', UID, 2, { hostname: 'ci-one', secretRefs: ['db'] });
    await t.client.assign(request([{ ...v2, spec: { ...v2.spec, cloudInit: { ...v2.spec.cloudInit, userData } } }], 2, { [UID]: { 'db/password': Buffer.from(`${SECRET}-2`) } }));
    await until('a new seed', async () => (await isoText(seedPath(UID), '/meta-data')) !== before);
    const after = renderCloudInitSeed(v2, [], { userData, secrets: { 'db/password': Buffer.from(`${SECRET}-2`) } });
    expect(await isoText(seedPath(UID), '/meta-data')).toBe(after.metaData);
    await until('pendingRestart', () => phase(UID)?.pendingRestart.includes(SEED_PENDING_RESTART));
    expect(phase(UID)?.phase).toBe('Running');
  });

  it('a VM with an unresolved secretRef waits CloudInitPending (naming the Secret, no seed) and starts once the Assign brings it', async () => {
    const v = ciVm('ci-2', UID2, 1, { packages: ['curl'], secretRefs: ['api'] });
    await t.client.assign(request([ciVm('ci-1', UID, 2, { hostname: 'ci-one', secretRefs: ['db'] }), v], 3, secrets));
    await until('ci-2 CloudInitPending', () => phase(UID2)?.reason === 'CloudInitPending');
    expect(phase(UID2)).toMatchObject({ phase: 'Pending', error: { code: 'HVS-CLOUDINIT-SECRET-UNRESOLVED' } });
    expect(phase(UID2)?.message).toContain('"api"');
    await expect(stat(seedPath(UID2))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await t.agent.driver.get(domainName(UID2))).toBeUndefined();

    await t.client.assign(request([ciVm('ci-1', UID, 2, { hostname: 'ci-one', secretRefs: ['db'] }), v], 4, { ...secrets, [UID2]: { 'api/token': Buffer.from(SECRET) } }));
    await until('ci-2 Running', () => phase(UID2)?.phase === 'Running');
    expect(await isoText(seedPath(UID2), '/user-data')).toContain('/run/hvs/secrets/api/token');
  });

  it('after an agent restart the material is gone: the VM waits CloudInitPending until the next Assign brings it', async () => {
    await t.restart();
    watch();
    await until('ci-2 CloudInitPending', () => phase(UID2)?.reason === 'CloudInitPending');
    expect(phase(UID2)?.message).toMatch(/material/);
    expect(await t.agent.driver.get(domainName(UID2))).toBeUndefined();
    const v = ciVm('ci-2', UID2, 1, { packages: ['curl'], secretRefs: ['api'] });
    await t.client.assign(request([ciVm('ci-1', UID, 2, { hostname: 'ci-one', secretRefs: ['db'] }), v], 4, { ...secrets, [UID2]: { 'api/token': Buffer.from(SECRET) } }));
    await until('ci-1 and ci-2 Running', () => phase(UID)?.phase === 'Running' && phase(UID2)?.phase === 'Running');
  });

  it('the seed is removed with its VM', async () => {
    await t.client.assign(request([], 5));
    await until('both removed', async () => t.agent.store.removingUids().length === 0 && t.agent.store.desiredVms().length === 0);
    await expect(stat(seedPath(UID))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(seedPath(UID2))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('no log line, event or VM report holds user-data or a secret value (level trace, whole run)', () => {
    const all = lines.join('');
    expect(all).toContain('cloud-init seed of VM ci-1 built'); // the log was captured
    const reported = JSON.stringify(watches.flatMap((w) => w.events));
    expect(reported).toContain('HVS-CLOUDINIT-SECRET-UNRESOLVED'); // so were the reports
    for (const v of [MARKER, SECRET]) {
      for (const s of [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('hex')]) {
        expect(all.includes(s)).toBe(false);
        expect(reported.includes(s)).toBe(false);
      }
    }
  });
});
