/**
 * confineToPool on real temp dirs and symlinks: the string check of libs/domain passes every
 * path here (each lies lexically inside the pool), so each refusal below is the realpath/lstat
 * check's alone; removing it makes the symlink cases resolve and pass.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { explicitPaths, HvsError, type HostFacts, type VirtualMachine } from '@hvs/domain';
import { confineAllToPools, confineToPool } from '../../src/storage';
import { tempDir, testVm } from '../support/fixtures';

describe('confineToPool (realpath/lstat on the host)', () => {
  let dir: string;
  let pool: string;
  let cleanup: () => Promise<void>;
  const facts = (): HostFacts => ({ domainType: 'qemu', pools: { default: { path: pool } }, networks: {} });
  const kernelVm = (kernel: string, initrd?: string): VirtualMachine => {
    const vm = testVm('k', '00000000-0000-4000-8000-000000000001');
    vm.spec.boot = { kernel, ...(initrd ? { initrd } : {}) };
    return vm;
  };
  const refusal = async (kernel: string): Promise<HvsError> => {
    const e = await (async () => confineAllToPools(explicitPaths(kernelVm(kernel), facts())))().then(() => undefined, (x: unknown) => x);
    if (!(e instanceof HvsError)) throw new Error(`expected an HvsError for ${kernel}, got ${String(e)}`);
    return e;
  };

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('hvs-confine-'));
    pool = join(dir, 'pool');
    await mkdir(join(pool, 'kernels'), { recursive: true });
    await writeFile(join(pool, 'kernels', 'vmlinuz-6.1'), 'kernel');
    await writeFile(join(dir, 'outside-secret'), 'secret');
  });
  afterEach(() => cleanup());

  it('refuses a path through a symlinked directory out of the pool (etclink -> /etc: /etc/shadow as kernel)', async () => {
    await symlink('/etc', join(pool, 'etclink'));
    const e = await refusal('etclink/shadow');
    expect(e).toMatchObject({ code: 'HVS-AGENT-PATH-OUTSIDE-POOL', category: 'PermissionDenied', path: 'spec.boot.kernel' });
    expect(e.message).toContain(join(pool, 'etclink/shadow'));
    expect(e.message).toContain('pool "default"');
    expect(e.why).toContain('/etc/shadow');
    expect(e.fix).toMatch(/copy it into/);
  });

  it('refuses a file symlink out of the pool, relative or absolute', async () => {
    await symlink('../outside-secret', join(pool, 'rel.img'));
    await symlink(join(dir, 'outside-secret'), join(pool, 'kernels', 'abs.img'));
    expect(await refusal('rel.img')).toMatchObject({ code: 'HVS-AGENT-PATH-OUTSIDE-POOL' });
    const e = await refusal('kernels/abs.img');
    expect(e).toMatchObject({ code: 'HVS-AGENT-PATH-OUTSIDE-POOL' });
    expect(e.why).toContain(join(dir, 'outside-secret'));
  });

  it('refuses a dangling symlink, even one that names a place inside the pool', async () => {
    await symlink(join(pool, 'not-yet'), join(pool, 'dangling'));
    const e = await refusal('dangling');
    expect(e).toMatchObject({ code: 'HVS-AGENT-PATH-OUTSIDE-POOL' });
    expect(e.why).toMatch(/dangling symbolic link/);
  });

  it('refuses `..` before touching the host (the string check), whatever is on disk', async () => {
    await expect(refusal('kernels/../../outside-secret')).resolves.toMatchObject({ code: 'HVS-XML-PATH-ESCAPES' });
  });

  it('refuses a missing file through a link out of the pool as outside, and a plain missing file as missing', async () => {
    await symlink(dir, join(pool, 'up'));
    expect(await refusal('up/nothing-here')).toMatchObject({ code: 'HVS-AGENT-PATH-OUTSIDE-POOL' });
    expect(await refusal('kernels/nothing-here')).toMatchObject({ code: 'HVS-AGENT-PATH-MISSING', path: 'spec.boot.kernel' });
  });

  it('refuses a directory (only regular files go into a VM)', async () => {
    expect(await refusal('kernels')).toMatchObject({ code: 'HVS-AGENT-PATH-NOT-FILE' });
  });

  it('allows regular files and symlinks that stay inside the pool, also when the pool directory itself is a link', async () => {
    await symlink('vmlinuz-6.1', join(pool, 'kernels', 'vmlinuz'));
    await writeFile(join(pool, 'initrd.img'), 'initrd');
    await expect(confineAllToPools(explicitPaths(kernelVm('kernels/vmlinuz', 'initrd.img'), facts()))).resolves.toBeUndefined();
    const linkedPool = join(dir, 'pool-link');
    await symlink(pool, linkedPool);
    const [kernel] = explicitPaths(kernelVm('kernels/vmlinuz'), { ...facts(), pools: { default: { path: linkedPool } } });
    await expect(confineToPool(kernel!)).resolves.toBe(join(pool, 'kernels', 'vmlinuz-6.1'));
  });

  it('checks disk and cdrom paths in their own pools too', async () => {
    const other = join(dir, 'other');
    await mkdir(other);
    await symlink('/etc/passwd', join(other, 'disk.raw'));
    const vm = testVm('d', '00000000-0000-4000-8000-000000000002', { disks: [{ name: 'data', pool: 'other', format: 'raw', path: 'disk.raw' }] });
    const host = { ...facts(), pools: { default: { path: pool }, other: { path: other } } };
    await expect(confineAllToPools(explicitPaths(vm, host))).rejects.toMatchObject({ code: 'HVS-AGENT-PATH-OUTSIDE-POOL', path: 'spec.disks[0].path' });
    const cd = testVm('c', '00000000-0000-4000-8000-000000000003');
    cd.spec.cdrom = { path: 'iso-link' };
    await symlink('/etc/hostname', join(pool, 'iso-link'));
    await expect(confineAllToPools(explicitPaths(cd, host))).rejects.toMatchObject({ code: 'HVS-AGENT-PATH-OUTSIDE-POOL', path: 'spec.cdrom.path' });
  });
});
