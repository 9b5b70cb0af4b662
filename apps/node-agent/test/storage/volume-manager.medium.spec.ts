import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { imageInfo, qemuImgRunner, VolumeManager } from '../../src/storage';

const run = promisify(execFile);
const MiB = 1024 * 1024;

describe('VolumeManager on a dir pool with real qemu-img', () => {
  let dir: string;
  let pool: string;
  let images: string;
  let outside: string;
  let vm: VolumeManager;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hvs-vol-'));
    pool = join(dir, 'pool');
    images = join(dir, 'images');
    outside = join(dir, 'outside');
    for (const d of [pool, images, outside]) await mkdir(d);
    vm = new VolumeManager({ poolDir: pool, imageDirs: [images] });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('names disks deterministically and refuses non-label parts', () => {
    expect(VolumeManager.volumeName('u1', 'root')).toBe('hvs-u1-root.qcow2');
    expect(() => VolumeManager.volumeName('../x', 'root')).toThrow(expect.objectContaining({ code: 'HVS-VOLUME-NAME-INVALID' }));
  });

  it('creates a qcow2 disk of the requested size, idempotently', async () => {
    const v = await vm.create('hvs-u1-root.qcow2', 64 * MiB);
    expect(v).toMatchObject({ name: 'hvs-u1-root.qcow2', path: join(pool, 'hvs-u1-root.qcow2'), format: 'qcow2', virtualSizeBytes: 64 * MiB });
    expect(v.backingFile).toBeUndefined();
    await expect(vm.create('hvs-u1-root.qcow2', 64 * MiB)).resolves.toMatchObject({ virtualSizeBytes: 64 * MiB });
    await expect(vm.create('hvs-u1-root.qcow2', 128 * MiB)).rejects.toMatchObject({ code: 'HVS-VOLUME-EXISTS', fix: expect.any(String) });
    expect(await readdir(pool)).toEqual(['hvs-u1-root.qcow2']);
  });

  it('reports what qemu-img info reads without running it after a create; repeats cost no qemu-img while the file is unchanged', async () => {
    const calls: string[] = [];
    const counted = new VolumeManager({ poolDir: pool, imageDirs: [images], onCall: (op) => calls.push(op) });
    const info = (path: string) => imageInfo(qemuImgRunner(), path, 'qcow2');
    const a = await counted.create('hvs-u13-root.qcow2', 64 * MiB + 100);
    expect(calls).toEqual(['qemu-img create']);
    expect(a).toEqual({ name: 'hvs-u13-root.qcow2', path: join(pool, 'hvs-u13-root.qcow2'), ...(await info(a.path)) });
    await expect(counted.create('hvs-u13-root.qcow2', 64 * MiB + 512)).resolves.toEqual(a);
    expect(calls).toEqual(['qemu-img create']);

    const base = join(images, 'base.raw');
    await writeFile(base, Buffer.alloc(MiB + 1));
    const o = await counted.createOverlay('hvs-u13-data.qcow2', { path: base, format: 'raw' });
    expect(o).toEqual({ name: 'hvs-u13-data.qcow2', path: join(pool, 'hvs-u13-data.qcow2'), ...(await info(o.path)) });
    expect(calls).toEqual(['qemu-img create', 'qemu-img info', 'qemu-img create overlay']); // the base is always read: its backing file is refused

    // Replaced behind the agent's back (another size): read again, and refused as before.
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(pool, 'other.qcow2'), String(32 * MiB)]);
    await run('mv', [join(pool, 'other.qcow2'), a.path]);
    await expect(counted.create('hvs-u13-root.qcow2', 64 * MiB + 512)).rejects.toMatchObject({ code: 'HVS-VOLUME-EXISTS' });
    expect(calls.at(-1)).toBe('qemu-img info');
    // Swapped for a symlink: still refused before anything remembered is used.
    await rm(a.path);
    await symlink(join(outside, 'x.qcow2'), a.path);
    await expect(counted.create('hvs-u13-root.qcow2', 32 * MiB)).rejects.toMatchObject({ code: 'HVS-VOLUME-PATH-ESCAPE' });
  });

  it('makes the first disk of a size with qemu-img and later ones from its bytes, identical to what qemu-img writes', async () => {
    const calls: string[] = [];
    const counted = new VolumeManager({ poolDir: pool, onCall: (op) => calls.push(op) });
    const made = await Promise.all(['a', 'b', 'c'].map((d) => counted.create(`hvs-u14-${d}.qcow2`, 10 * 1024 * MiB)));
    await counted.create('hvs-u14-d.qcow2', 2 * MiB);
    expect(calls).toEqual(['qemu-img create', 'qemu-img create']);
    const fresh = join(outside, 'fresh.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', fresh, String(10 * 1024 * MiB)]);
    const expected = await readFile(fresh);
    for (const v of made) {
      expect((await readFile(v.path)).equals(expected)).toBe(true);
      expect(v).toEqual({ name: v.name, path: v.path, ...(await imageInfo(qemuImgRunner(), v.path, 'qcow2')) });
      await run('qemu-img', ['check', '-q', '-f', 'qcow2', v.path]);
    }
    expect((await readdir(pool)).sort()).toEqual(['hvs-u14-a.qcow2', 'hvs-u14-b.qcow2', 'hvs-u14-c.qcow2', 'hvs-u14-d.qcow2']);
  });

  it('creates every disk 0600 whatever the umask: by qemu-img, from remembered bytes, and as an overlay', async () => {
    const mode = async (name: string) => (await stat(join(pool, name))).mode & 0o777;
    const umask = process.umask(0o022);
    try {
      await vm.create('hvs-u1-a.qcow2', 8 * MiB); // qemu-img
      await vm.create('hvs-u1-b.qcow2', 8 * MiB); // the remembered bytes of that size
      const base = join(images, 'base.qcow2');
      await run('qemu-img', ['create', '-q', '-f', 'qcow2', base, String(8 * MiB)]);
      await vm.createOverlay('hvs-u1-c.qcow2', { path: base, format: 'qcow2' });
    } finally {
      process.umask(umask);
    }
    expect([await mode('hvs-u1-a.qcow2'), await mode('hvs-u1-b.qcow2'), await mode('hvs-u1-c.qcow2')]).toEqual([0o600, 0o600, 0o600]);
  });

  it('refuses a size that is not a positive whole number', async () => {
    await expect(vm.create('hvs-u1-a.qcow2', 0)).rejects.toMatchObject({ code: 'HVS-VOLUME-SIZE-INVALID' });
    await expect(vm.create('hvs-u1-a.qcow2', 1.5)).rejects.toMatchObject({ code: 'HVS-VOLUME-SIZE-INVALID' });
  });

  it('creates an overlay on a verified base with the base format passed explicitly', async () => {
    const base = join(images, 'debian.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', base, String(32 * MiB)]);
    const v = await vm.createOverlay('hvs-u2-root.qcow2', { path: base, format: 'qcow2' }, 96 * MiB);
    expect(v).toMatchObject({ format: 'qcow2', backingFile: base, backingFormat: 'qcow2', virtualSizeBytes: 96 * MiB });
    await expect(vm.createOverlay('hvs-u2-root.qcow2', { path: base, format: 'qcow2' })).resolves.toMatchObject({ backingFile: base });
  });

  it('overlays a raw base as raw', async () => {
    const base = join(images, 'disk.raw');
    await writeFile(base, Buffer.alloc(MiB));
    const v = await vm.createOverlay('hvs-u3-root.qcow2', { path: base, format: 'raw' });
    expect(v).toMatchObject({ backingFile: base, backingFormat: 'raw', virtualSizeBytes: MiB });
  });

  it('refuses a base image that has its own backing file', async () => {
    const first = join(images, 'first.qcow2');
    const chained = join(images, 'chained.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', first, String(MiB)]);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', first, chained]);
    const err = await vm.createOverlay('hvs-u4-root.qcow2', { path: chained, format: 'qcow2' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'HVS-VOLUME-BASE-HAS-BACKING', why: expect.stringContaining(first), fix: expect.stringContaining('qemu-img convert') });
    expect(await readdir(pool)).toEqual([]);
  });

  it('refuses a base that does not read as its declared format', async () => {
    const base = join(images, 'not-really.qcow2');
    await writeFile(base, Buffer.alloc(MiB));
    await expect(vm.createOverlay('hvs-u5-root.qcow2', { path: base, format: 'qcow2' })).rejects.toMatchObject({ code: 'HVS-VOLUME-BASE-FORMAT' });
  });

  it('refuses a base outside the image directories, also through a symlink', async () => {
    const secret = join(outside, 'secret.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', secret, String(MiB)]);
    await expect(vm.createOverlay('hvs-u6-root.qcow2', { path: secret, format: 'qcow2' })).rejects.toMatchObject({ code: 'HVS-VOLUME-PATH-ESCAPE' });
    await symlink(secret, join(images, 'looks-fine.qcow2'));
    await expect(vm.createOverlay('hvs-u6-root.qcow2', { path: join(images, 'looks-fine.qcow2'), format: 'qcow2' })).rejects.toMatchObject({ code: 'HVS-VOLUME-PATH-ESCAPE' });
    await expect(vm.createOverlay('hvs-u6-root.qcow2', { path: join(images, 'missing.qcow2'), format: 'qcow2' })).rejects.toMatchObject({ code: 'HVS-VOLUME-BASE-NOT-FOUND' });
  });

  it.each(['../escape.qcow2', 'a/b.qcow2', '..', 'hvs-u7-x..qcow2', 'Upper.qcow2', ''])('refuses the volume name %p', async (name) => {
    await expect(vm.create(name, MiB)).rejects.toMatchObject({ code: 'HVS-VOLUME-NAME-INVALID' });
    expect(await readdir(dir)).toEqual(['images', 'outside', 'pool']);
  });

  it('never writes or deletes through a symlink in the pool that points outside', async () => {
    const victim = join(outside, 'victim.img');
    await writeFile(victim, 'keep me');
    await symlink(victim, join(pool, 'hvs-u8-root.qcow2'));
    await expect(vm.create('hvs-u8-root.qcow2', MiB)).rejects.toMatchObject({ code: 'HVS-VOLUME-PATH-ESCAPE' });
    await expect(vm.delete('hvs-u8-root.qcow2')).rejects.toMatchObject({ code: 'HVS-VOLUME-PATH-ESCAPE' });
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect((await vm.list()).map((v) => v.name)).toEqual([]);
  });

  it('lists owned volumes by uid and deletes them by policy, idempotently', async () => {
    await vm.create('hvs-u9-root.qcow2', MiB);
    await vm.create('hvs-u9-data.qcow2', MiB);
    await vm.create('hvs-u10-root.qcow2', MiB);
    await writeFile(join(pool, 'someone-elses.img'), 'x');
    expect((await vm.list('u9')).map((v) => v.name)).toEqual(['hvs-u9-data.qcow2', 'hvs-u9-root.qcow2']);
    expect((await vm.list()).map((v) => v.name)).toEqual(['hvs-u10-root.qcow2', 'hvs-u9-data.qcow2', 'hvs-u9-root.qcow2']);
    expect(await vm.deleteOwned('u9')).toEqual(['hvs-u9-data.qcow2', 'hvs-u9-root.qcow2']);
    expect(await vm.delete('hvs-u9-root.qcow2')).toBe(false);
    expect((await readdir(pool)).sort()).toEqual(['hvs-u10-root.qcow2', 'someone-elses.img']);
  });

  it('deletes a VM\'s cloud-init seed ISO with its disks (listed without qemu-img, which would refuse it)', async () => {
    await vm.create('hvs-u14-root.qcow2', MiB);
    await writeFile(join(pool, 'hvs-u14-cidata.iso'), Buffer.alloc(4096), { mode: 0o600 });
    expect(await vm.list('u14')).toEqual([
      { name: 'hvs-u14-cidata.iso', path: join(pool, 'hvs-u14-cidata.iso'), format: 'raw', virtualSizeBytes: 4096, actualSizeBytes: expect.any(Number) },
      expect.objectContaining({ name: 'hvs-u14-root.qcow2' }),
    ]);
    expect(await vm.deleteOwned('u14')).toEqual(['hvs-u14-cidata.iso', 'hvs-u14-root.qcow2']);
    expect(await readdir(pool)).toEqual([]);
  });

  it('cleans up a partial file when qemu-img fails, and reports the pool usage', async () => {
    const broken = new VolumeManager({ poolDir: pool, qemuImg: '/bin/false' });
    await expect(broken.create('hvs-u11-root.qcow2', MiB)).rejects.toMatchObject({ code: 'HVS-VOLUME-QEMU-IMG-FAILED' });
    expect(await readdir(pool)).toEqual([]);
    const u = await vm.usage();
    expect(u.capacityBytes).toBeGreaterThan(0);
    expect(u.freeBytes).toBeLessThanOrEqual(u.capacityBytes);
  });

  it('says when the pool directory is missing', async () => {
    const none = new VolumeManager({ poolDir: join(dir, 'nope') });
    await expect(none.create('hvs-u12-root.qcow2', MiB)).rejects.toMatchObject({ code: 'HVS-VOLUME-POOL-MISSING', fix: expect.stringContaining('mkdir -p') });
  });
});
