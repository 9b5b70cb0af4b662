import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cloudInitSeedName, domainName, HvsError, volumeName } from '@hvs/domain';
import { ReconcilerRunner } from '@hvs/reconcile';
import { testVm, until } from '../support/fixtures';
import { ReconcilerWorld } from './harness';

const UID_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const UID_B = 'bbbbbbbb-0000-4000-8000-000000000002';

describe('reconcileDomain (fake hypervisor, fake clock)', () => {
  let world: ReconcilerWorld;
  beforeEach(async () => {
    world = await ReconcilerWorld.create();
  });
  afterEach(() => world.cleanup());

  it('defines and starts an assigned VM, named hvs-<uid>, and reports it Running', async () => {
    const a = await world.boot();
    await world.assign(a, [testVm('web-1', UID_A)]);
    await expect(a.reconciler.reconcileDomain(UID_A)).resolves.toEqual({ kind: 'done' });
    expect(await world.driver.get(domainName(UID_A))).toMatchObject({ state: 'running' });
    expect(a.observed.get(UID_A)).toMatchObject({ name: 'web-1', phase: 'Running', node: 'node-1', observedGeneration: 1 });
    // A second pass is a no-op: nothing is defined or started again.
    const before = world.driverEvents.length;
    await a.reconciler.reconcileDomain(UID_A);
    await world.clock.flush();
    expect(world.driverEvents.slice(before)).toEqual([]);
  });

  it('keeps a VM Pending with the reason of its first unmet prerequisite, defines nothing, and starts it once all are met; a running VM is never held', async () => {
    let networkReady = false;
    const asked: string[] = [];
    const a = await world.boot({
      prerequisites: [
        async (uid) => (asked.push(`net:${uid}`), networkReady ? undefined : { reason: 'NetworkNotReady', message: 'network lan is not realised on node-1 yet' }),
        async (uid) => (asked.push(`img:${uid}`), undefined),
      ],
    });
    await world.assign(a, [testVm('web-1', UID_A)]);
    await expect(a.reconciler.reconcileDomain(UID_A)).resolves.toEqual({ kind: 'requeueAfter', ms: 5000 });
    expect(await world.driver.get(domainName(UID_A))).toBeUndefined();
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Pending', reason: 'NetworkNotReady', message: 'network lan is not realised on node-1 yet' });
    expect(asked).toEqual([`net:${UID_A}`]);
    networkReady = true;
    await expect(a.reconciler.reconcileDomain(UID_A)).resolves.toEqual({ kind: 'done' });
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Running' });
    expect(asked).toEqual([`net:${UID_A}`, `net:${UID_A}`, `img:${UID_A}`]);
    // Running now: a prerequisite that turns false again is not even asked, and nothing stops the guest.
    networkReady = false;
    await expect(a.reconciler.reconcileDomain(UID_A)).resolves.toEqual({ kind: 'done' });
    expect(asked).toHaveLength(3);
    expect(await world.driver.get(domainName(UID_A))).toMatchObject({ state: 'running' });
  });

  it('asks restart notes only of an active domain and reports them with pendingRestart until the next start', async () => {
    let note: string[] = [];
    const asked: string[] = [];
    const a = await world.boot({ restartNotes: [async (uid) => (asked.push(uid), note)] });
    await world.assign(a, [testVm('web-1', UID_A)]);
    await a.reconciler.reconcileDomain(UID_A); // define + start: the domain was not active
    expect(asked).toEqual([]);
    note = ['spec.cloudInit (a new seed is ready)'];
    await a.reconciler.reconcileDomain(UID_A);
    expect(asked).toEqual([UID_A]);
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Running', pendingRestart: ['spec.cloudInit (a new seed is ready)'] });
    note = [];
    await a.reconciler.reconcileDomain(UID_A);
    expect(a.observed.get(UID_A)?.pendingRestart).toEqual([]);
  });

  it('reads the domain once per pass: it publishes the state it saw or caused, no second read', async () => {
    const a = await world.boot();
    await world.assign(a, [testVm('web-1', UID_A), testVm('web-2', UID_B, { runState: 'Stopped' })]);
    const gets = jest.spyOn(world.driver, 'get'); // passes through to the fake
    await a.reconciler.reconcileDomain(UID_A); // define + start
    await a.reconciler.reconcileDomain(UID_B); // define only
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Running' });
    expect(a.observed.get(UID_B)).toMatchObject({ phase: 'Stopped' });
    expect(gets).toHaveBeenCalledTimes(2);
    await a.reconciler.reconcileDomain(UID_A); // nothing to do
    expect(gets).toHaveBeenCalledTimes(3);
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Running' });
    gets.mockRestore();
  });

  it('creates each disk once as a qcow2 volume in the pool and deletes it when the VM is removed', async () => {
    const a = await world.boot();
    await world.assign(a, [testVm('db-1', UID_A, { disks: [{ name: 'root', size: '64MiB' }, { name: 'data', size: '32MiB' }] })]);
    await a.reconciler.reconcileDomain(UID_A);
    await a.reconciler.reconcileDomain(UID_A);
    expect(await world.volumeFiles()).toEqual([volumeName(UID_A, 'data'), volumeName(UID_A, 'root')]);
    await world.assign(a, []);
    await a.reconciler.reconcileDomain(UID_A);
    expect(await world.driver.get(domainName(UID_A))).toBeUndefined();
    expect(await world.volumeFiles()).toEqual([]);
    expect(a.store.isRemoving(UID_A)).toBe(false);
    expect(a.observed.get(UID_A)).toBeUndefined();
  });

  it('keeps volumes of a removed VM when the disk policy is keep', async () => {
    const a = await world.boot({ diskPolicy: 'keep' });
    await world.assign(a, [testVm('db-1', UID_A, { disks: [{ name: 'root', size: '16MiB' }] })]);
    await a.reconciler.reconcileDomain(UID_A);
    await world.assign(a, []);
    await a.reconciler.reconcileDomain(UID_A);
    expect(await world.driver.get(domainName(UID_A))).toBeUndefined();
    expect(await world.volumeFiles()).toEqual([volumeName(UID_A, 'root')]);
  });

  it('deletes the cloud-init seed of a removed VM even when the disk policy keeps its disks (it holds user-data)', async () => {
    const a = await world.boot({ diskPolicy: 'keep' });
    await world.assign(a, [testVm('db-1', UID_A, { disks: [{ name: 'root', size: '16MiB' }] })]);
    await a.reconciler.reconcileDomain(UID_A);
    await writeFile(join(world.poolDir, cloudInitSeedName(UID_A)), 'seed', { mode: 0o600 });
    await world.assign(a, []);
    await a.reconciler.reconcileDomain(UID_A);
    expect(await world.volumeFiles()).toEqual([volumeName(UID_A, 'root')]);
  });

  it('shuts a VM down when runState becomes Stopped, destroying it after the timeout when the guest ignores ACPI', async () => {
    const a = await world.boot();
    await world.assign(a, [testVm('web-1', UID_A)]);
    await a.reconciler.reconcileDomain(UID_A);
    world.driver.shutdownIgnored = true;
    await world.assign(a, [testVm('web-1', UID_A, { runState: 'Stopped', generation: 2 })]);
    const step = a.reconciler.reconcileDomain(UID_A);
    // Volume and image checks are real file I/O: wait for the step to reach the shutdown.
    await until('the Stopping phase', () => a.observed.get(UID_A)?.phase === 'Stopping');
    await world.clock.flush();
    expect(await world.driver.get(domainName(UID_A))).toMatchObject({ state: 'running' });
    await world.clock.advance(5000);
    await step;
    expect(await world.driver.get(domainName(UID_A))).toMatchObject({ state: 'shutoff' });
    expect(world.driverEvents.filter((e) => e.type === 'stopped').map((e) => e.detail)).toEqual(['Destroyed']);
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Stopped' });
  });

  it('redefines a running VM whose spec changed without restarting it, and lists the fields waiting on a restart', async () => {
    const a = await world.boot();
    await world.assign(a, [testVm('web-1', UID_A)]);
    await a.reconciler.reconcileDomain(UID_A);
    const before = world.driverEvents.length;
    await world.assign(a, [testVm('web-1', UID_A, { memory: '128MiB', generation: 2 })]);
    await a.reconciler.reconcileDomain(UID_A);
    await world.clock.flush();
    expect(world.driverEvents.slice(before).map((e) => `${e.type}/${e.detail}`)).toEqual(['defined/Updated']);
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Running', observedGeneration: 2, pendingRestart: ['spec.memory.size'] });
    // Stopping and starting applies it: the pending list clears.
    await world.assign(a, [testVm('web-1', UID_A, { memory: '128MiB', generation: 3, runState: 'Stopped' })]);
    await a.reconciler.reconcileDomain(UID_A);
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Stopped', pendingRestart: [] });
    await world.assign(a, [testVm('web-1', UID_A, { memory: '128MiB', generation: 4 })]);
    await a.reconciler.reconcileDomain(UID_A);
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Running', pendingRestart: [] });
  });

  it('turns a libvirt failure into the Failed phase with libvirt\'s message, reason and fix, then a backed-off retry succeeds', async () => {
    const a = await world.boot();
    await world.assign(a, [testVm('web-1', UID_A)]);
    world.driver.failNext('start', new HvsError({ code: 'HVS-LIBVIRT-EMULATOR-MISSING', category: 'FailedPrecondition', message: 'libvirt start of domain failed', why: 'Cannot find QEMU binary /usr/bin/qemu-system-x86_64', fix: 'Install QEMU on this host' }));
    const errors: number[] = [];
    const runner = new ReconcilerRunner<string>((uid) => a.reconciler.reconcileDomain(uid), {
      name: 'domain', workers: 2, clock: world.clock, backoff: { baseMs: 1000, factor: 2, maxMs: 60_000 },
      hooks: { onError: (_k, _e, retryInMs) => errors.push(retryInMs) },
    });
    runner.start();
    runner.enqueue(UID_A);
    // The step reads the image dir (real I/O): await the outcome, then drive time by hand.
    await until('the first failure', () => errors.length === 1);
    expect(errors).toEqual([1000]);
    expect(a.observed.get(UID_A)).toMatchObject({
      phase: 'Failed', reason: 'LibvirtError', message: expect.stringContaining('Cannot find QEMU binary'),
      error: { code: 'HVS-LIBVIRT-EMULATOR-MISSING', fix: 'Install QEMU on this host' },
    });
    expect(await world.driver.get(domainName(UID_A))).toMatchObject({ state: 'shutoff' });
    await world.clock.advance(999);
    expect(a.observed.get(UID_A)?.phase).toBe('Failed');
    await world.clock.advance(1);
    await until('the retry to finish', () => a.observed.get(UID_A)?.phase === 'Running');
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Running', reason: 'Running' });
    expect(errors).toEqual([1000]);
    expect(a.observed.get(UID_A)?.error).toBeUndefined();
    await runner.stop();
  });

  it('reports a crashed guest as Failed/Crashed and starts it again on the next pass', async () => {
    const a = await world.boot();
    await world.assign(a, [testVm('web-1', UID_A)]);
    world.driver.crashAfterMs = 10_000;
    await a.reconciler.reconcileDomain(UID_A);
    world.driver.crashAfterMs = undefined;
    await world.clock.advance(10_000);
    expect(await world.driver.get(domainName(UID_A))).toMatchObject({ state: 'crashed' });
    await a.reconciler.reconcileDomain(UID_A);
    expect(await world.driver.get(domainName(UID_A))).toMatchObject({ state: 'running' });
  });

  it('adopts its domains after an agent restart: no duplicate, no restart of running VMs, removal still finishes', async () => {
    const first = await world.boot();
    await world.assign(first, [testVm('web-1', UID_A), testVm('db-1', UID_B, { disks: [{ name: 'root', size: '16MiB' }] })]);
    await first.reconciler.reconcileDomain(UID_A);
    await first.reconciler.reconcileDomain(UID_B);
    await world.assign(first, [testVm('web-1', UID_A)]); // B is being removed when the agent "dies"

    const second = await world.boot(); // new store (loaded from disk), observed state and reconciler
    expect(second.store.uids().sort()).toEqual([UID_A, UID_B]);
    const before = world.driverEvents.length;
    for (const uid of second.store.uids()) await second.reconciler.reconcileDomain(uid);
    await world.clock.flush();
    const after = world.driverEvents.slice(before).map((e) => `${e.name}:${e.type}`);
    expect(after.filter((e) => e.startsWith(domainName(UID_A)))).toEqual([`${domainName(UID_A)}:defined`]); // redefine only, same XML
    expect((await world.driver.list()).map((d) => d.name)).toEqual([domainName(UID_A)]);
    expect(second.observed.get(UID_A)).toMatchObject({ phase: 'Running', pendingRestart: [] });
    expect(await world.volumeFiles()).toEqual([]);
    expect(second.store.isRemoving(UID_B)).toBe(false);
  });

  it('leaves domains it did not create alone', async () => {
    const xml = (n: string) => `<domain type='qemu'><name>${n}</name><memory unit='MiB'>32</memory></domain>`;
    await world.driver.define('legacy-db', xml('legacy-db'));
    await world.driver.define(domainName(UID_B), xml(domainName(UID_B)));
    await world.driver.start(domainName(UID_B));
    const a = await world.boot();
    await world.assign(a, [testVm('web-1', UID_A)]);
    await a.reconciler.reconcileDomain(UID_A);
    await a.reconciler.reconcileDomain(UID_B); // an hvs- name it never owned: not touched
    expect((await world.driver.list()).map((d) => `${d.name}:${d.state}`).sort()).toEqual([`${domainName(UID_A)}:running`, `${domainName(UID_B)}:running`, 'legacy-db:shutoff']);
  });

  it('records a spec this host cannot build as Failed without retrying (terminal), e.g. a raw volume', async () => {
    const a = await world.boot();
    await world.assign(a, [testVm('web-1', UID_A, { disks: [{ name: 'root', size: '16MiB', format: 'raw' }] })]);
    await expect(a.reconciler.reconcileDomain(UID_A)).rejects.toMatchObject({ name: 'TerminalError' });
    expect(a.observed.get(UID_A)).toMatchObject({ phase: 'Failed', error: { code: 'HVS-AGENT-DISK-FORMAT-UNSUPPORTED' } });
    expect(await world.driver.get(domainName(UID_A))).toBeUndefined();
  });
});
