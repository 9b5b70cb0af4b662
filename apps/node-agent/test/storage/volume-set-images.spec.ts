/** VolumeSet.images on a real temp dir: only regular files whose real path stays in the images dir count. */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VolumeSet } from '../../src/storage';
import { tempDir } from '../support/fixtures';

describe('VolumeSet.images', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('hvs-images-'));
  });
  afterEach(() => cleanup());

  it('lists verified image files and ignores links out of the dir, dangling links and directories', async () => {
    const images = join(dir, 'images');
    const set = new VolumeSet({ default: join(dir, 'pool') }, images);
    await set.prepare();
    await writeFile(join(images, 'debian.qcow2'), 'q');
    await writeFile(join(images, 'tools.iso'), 'i');
    await symlink('tools.iso', join(images, 'tools-latest.iso'));
    await symlink('/etc/shadow', join(images, 'shadow.iso'));
    await symlink(join(dir, 'nowhere.raw'), join(images, 'dangling.raw'));
    await mkdir(join(images, 'adir.iso'));
    expect(await set.images()).toEqual({
      debian: { path: join(images, 'debian.qcow2'), format: 'qcow2' },
      tools: { path: join(images, 'tools.iso'), format: 'iso' },
      'tools-latest': { path: join(images, 'tools-latest.iso'), format: 'iso' },
    });
  });
});
