/**
 * A raised disk size through reconcileDomain, with real qcow2 overlays (qemu-img) on a cached
 * base and the behavioural fake driver: grown offline when the domain is off, live (blockresize)
 * when it runs, and pendingRestart when the live resize fails.
 */
import { execFile } from 'node:child_process';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testVm } from '../support/fixtures';
import { ReconcilerWorld, type AgentParts } from './harness';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const UID = 'u-grow';

describe('disk growth', () => {
  let world: ReconcilerWorld;
  let parts: AgentParts;
  let overlay: string;
  beforeEach(async () => {
    world = await ReconcilerWorld.create();
    parts = await world.boot();
    const base = join(world.dir, 'images', 'sha256', 'ab'.repeat(32));
    await mkdir(join(world.dir, 'images', 'sha256'), { recursive: true });
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', `${base}.tmp`, String(32 * MiB)]);
    await rename(`${base}.tmp`, base);
    parts.volumes.useImages(() => ({ debian: { path: base, format: 'qcow2' } }));
    overlay = join(world.poolDir, `hvs-${UID}-root.qcow2`);
  });
  afterEach(() => world.cleanup());

  const vm = (size: string, runState: 'Running' | 'Stopped' = 'Running') => testVm('grow', UID, { runState, disks: [{ name: 'root', image: 'debian', size }] });
  const virtualSize = async () => (JSON.parse((await run('qemu-img', ['info', '--output=json', '-U', overlay])).stdout) as Record<string, number>)['virtual-size'];

  it('grows live with blockresize while the domain runs; nothing waits for a restart', async () => {
    await world.assign(parts, [vm('64MiB')]);
    await parts.reconciler.reconcileDomain(UID);
    expect(parts.observed.get(UID)?.phase).toBe('Running');
    await world.assign(parts, [vm('128MiB')]);
    await parts.reconciler.reconcileDomain(UID);
    expect(world.driver.blockResizes).toEqual([{ name: `hvs-${UID}`, diskPath: overlay, bytes: 128 * MiB }]);
    expect(parts.observed.get(UID)?.pendingRestart).not.toContain('spec.disks[0].size');
  });

  it('a failed live resize leaves the size in pendingRestart; the disk grows offline before the next start', async () => {
    await world.assign(parts, [vm('64MiB')]);
    await parts.reconciler.reconcileDomain(UID);
    world.driver.failNext('blockResize');
    await world.assign(parts, [vm('128MiB')]);
    await parts.reconciler.reconcileDomain(UID);
    expect(parts.observed.get(UID)?.pendingRestart).toContain('spec.disks[0].size');
    expect(await virtualSize()).toBe(64 * MiB);
    await world.assign(parts, [vm('128MiB', 'Stopped')]);
    await parts.reconciler.reconcileDomain(UID);
    await world.assign(parts, [vm('128MiB')]);
    await parts.reconciler.reconcileDomain(UID);
    expect(await virtualSize()).toBe(128 * MiB);
    expect(parts.observed.get(UID)).toMatchObject({ phase: 'Running', pendingRestart: [] });
  });
});
