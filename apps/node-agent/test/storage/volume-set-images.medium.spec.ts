/**
 * VM disks from a cached image with the real qemu-img: a qcow2 overlay whose backing file is the
 * cache's absolute path with its format explicit, 0600, sized up to disks[].size; a raised size
 * grows it offline and is deferred while the domain runs. Images outside the cache dir are dropped.
 */
import { execFile } from 'node:child_process';
import { mkdir, rename, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VolumeSet } from '../../src/storage';
import { tempDir, testVm } from '../support/fixtures';

const run = promisify(execFile);
const MiB = 1024 * 1024;

async function info(path: string): Promise<Record<string, unknown>> {
  return JSON.parse((await run('qemu-img', ['info', '--output=json', '-U', path])).stdout) as Record<string, unknown>;
}

describe('VolumeSet: disks from cached images', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let set: VolumeSet;
  let base: string;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('hvs-overlay-'));
    set = new VolumeSet({ default: join(dir, 'pool') }, join(dir, 'images'));
    await set.prepare();
    await mkdir(join(dir, 'images', 'sha256'), { recursive: true });
    base = join(dir, 'images', 'sha256', 'ab'.repeat(32));
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', `${base}.tmp`, String(64 * MiB)]);
    await rename(`${base}.tmp`, base);
    set.useImages(() => ({ debian: { path: base, format: 'qcow2' } }));
  });
  afterEach(() => cleanup());

  const vm = (size: string) => testVm('web', 'u1', { disks: [{ name: 'root', image: 'debian', size }] });

  it('creates a 0600 qcow2 overlay on the cached base (absolute backing path, explicit format), resized to the spec', async () => {
    const images = await set.images();
    expect(await set.ensure('u1', vm('256MiB'), images)).toEqual([]);
    const overlay = join(dir, 'pool', 'hvs-u1-root.qcow2');
    const i = await info(overlay);
    expect(i).toMatchObject({ format: 'qcow2', 'virtual-size': 256 * MiB, 'backing-filename': base, 'backing-filename-format': 'qcow2' });
    expect((await stat(overlay)).mode & 0o777).toBe(0o600);
  });

  it('a burst from one image runs qemu-img once: later overlays are the same bytes, written without a fork', async () => {
    const calls: string[] = [];
    const counted = new VolumeSet({ default: join(dir, 'pool') }, join(dir, 'images'), (op) => calls.push(op));
    counted.useImages(() => ({ debian: { path: base, format: 'qcow2' } }));
    for (const uid of ['u1', 'u2', 'u3']) await counted.ensure(uid, testVm(uid, uid, { disks: [{ name: 'root', image: 'debian', size: '256MiB' }] }), await counted.images());
    expect(calls.filter((c) => c === 'qemu-img create overlay')).toHaveLength(1);
    for (const uid of ['u1', 'u2', 'u3']) {
      expect(await info(join(dir, 'pool', `hvs-${uid}-root.qcow2`))).toMatchObject({ 'virtual-size': 256 * MiB, 'backing-filename': base, 'backing-filename-format': 'qcow2' });
    }
  });

  it('keeps the image\'s size when the spec asks for less', async () => {
    await set.ensure('u1', vm('16MiB'), await set.images());
    expect((await info(join(dir, 'pool', 'hvs-u1-root.qcow2')))['virtual-size']).toBe(64 * MiB);
  });

  it('grows the disk when its size is raised (offline), and defers the growth while the domain runs', async () => {
    const overlay = join(dir, 'pool', 'hvs-u1-root.qcow2');
    await set.ensure('u1', vm('128MiB'), await set.images());
    expect(await set.ensure('u1', vm('512MiB'), await set.images(), { live: true })).toEqual([{ field: 'spec.disks[0].size', path: overlay, bytes: 512 * MiB }]);
    expect((await info(overlay))['virtual-size']).toBe(128 * MiB);
    expect(await set.ensure('u1', vm('512MiB'), await set.images())).toEqual([]);
    expect(await info(overlay)).toMatchObject({ 'virtual-size': 512 * MiB, 'backing-filename': base });
  });

  it('drops an image whose path leaves the cache directory (a link to a host file is no image)', async () => {
    await symlink('/etc/passwd', join(dir, 'images', 'sha256', 'cd'.repeat(32)));
    set.useImages(() => ({ debian: { path: base, format: 'qcow2' }, evil: { path: join(dir, 'images', 'sha256', 'cd'.repeat(32)), format: 'iso' }, out: { path: '/etc/hostname', format: 'iso' } }));
    expect(Object.keys(await set.images())).toEqual(['debian']);
  });
});
