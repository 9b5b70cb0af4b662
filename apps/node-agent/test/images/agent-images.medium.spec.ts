/**
 * The agent on libvirt's test driver with the real image cache: a VM whose image is still
 * downloading waits Pending ImageNotReady (no domain defined), runs once the image is verified,
 * on a qcow2 overlay backed by the cached file; a VM whose image has the wrong digest waits
 * ImageFailed and is never defined.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Image } from '@hvs/domain';
import { toProtoObject } from '@hvs/proto';
import { assignInProcess, assignRequest, tempDir, testVm, until } from '../support/fixtures';
import { startTestDriverAgent, type TestDriverAgent } from '../support/test-driver-agent';
import { serveImage, type ImageServer } from './http-fixture';

const run = promisify(execFile);
const MiB = 1024 * 1024;
jest.setTimeout(30_000);

describe('agent: VMs wait for their images', () => {
  let t: TestDriverAgent;
  let server: ImageServer;
  let body: Buffer;
  let sha: string;
  let release: () => void;

  beforeAll(async () => {
    const { dir, cleanup } = await tempDir('hvs-agent-image-src-');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'base.qcow2'), String(32 * MiB)]);
    body = await readFile(join(dir, 'base.qcow2'));
    await cleanup();
    sha = createHash('sha256').update(body).digest('hex');
  });

  beforeEach(async () => {
    server = await serveImage(body);
    const gate = new Promise<void>((r) => (release = r));
    server.route('/slow.qcow2', (_req, res) => {
      void gate.then(() => res.writeHead(200, { 'content-length': String(body.length) }).end(body));
    });
    t = await startTestDriverAgent('hvs-agent-images-');
  });
  afterEach(async () => {
    release();
    await t?.stop();
    await server?.close();
  });

  function image(name: string, path: string, digest: string): Image {
    return { apiVersion: 'hvs/v1', kind: 'Image', metadata: { name }, spec: { source: { url: server.url(path) }, format: 'qcow2', sha256: digest } } as Image;
  }

  async function assign(images: Image[], vms: { name: string; uid: string; image: string }[], generation = 1, size = '64MiB'): Promise<void> {
    const req = assignRequest(vms.map((v) => testVm(v.name, v.uid, { generation, disks: [{ name: 'root', image: v.image, size }] })), generation);
    req.images = images.map((i) => toProtoObject(i));
    req.vms.forEach((a, i) => (a.imageDigests = { [vms[i].image]: `sha256:${images.find((im) => im.metadata.name === vms[i].image)!.spec.sha256}` }));
    await assignInProcess(t.agent, req);
  }

  it('Pending ImageNotReady (no domain) while downloading; Running on an overlay of the verified copy once it is Ready', async () => {
    await assign([image('debian', '/slow.qcow2', sha)], [{ name: 'web', uid: 'u-web', image: 'debian' }]);
    const waiting = await until('web waiting for its image', () => {
      const o = t.agent.observed.get('u-web');
      return o?.reason === 'ImageNotReady' ? o : undefined;
    });
    expect(waiting).toMatchObject({ phase: 'Pending', message: expect.stringMatching(/^image debian: /) });
    expect(await t.agent.driver.get('hvs-u-web')).toBeUndefined();
    release();
    await until('web running', () => t.agent.observed.get('u-web')?.phase === 'Running');
    expect(t.agent.observed.image('debian')).toMatchObject({ phase: 'Ready', verified: true, digest: `sha256:${sha}` });
    const overlay = JSON.parse((await run('qemu-img', ['info', '--output=json', '-U', join(t.dir, 'pools', 'default', 'hvs-u-web-root.qcow2')])).stdout) as Record<string, unknown>;
    expect(overlay).toMatchObject({ 'backing-filename': join(t.dir, 'state', 'images', 'sha256', sha), 'backing-filename-format': 'qcow2', 'virtual-size': 64 * MiB });
    // A raised size while it runs: the test driver cannot resize live, so it waits for a restart.
    await assign([image('debian', '/slow.qcow2', sha)], [{ name: 'web', uid: 'u-web', image: 'debian' }], 2, '96MiB');
    const grown = await until('pendingRestart names the disk size', () => {
      const o = t.agent.observed.get('u-web');
      return o?.pendingRestart.includes('spec.disks[0].size') ? o : undefined;
    });
    expect(grown.phase).toBe('Running');
  });

  it('a wrong digest: the image is Failed, the VM waits ImageFailed with both digests and is never defined', async () => {
    const wrong = '0'.repeat(64);
    await assign([image('bad', '/img', wrong)], [{ name: 'db', uid: 'u-db', image: 'bad' }]);
    const failed = await until('db waiting on a failed image', () => {
      const o = t.agent.observed.get('u-db');
      return o?.reason === 'ImageFailed' ? o : undefined;
    });
    expect(failed).toMatchObject({ phase: 'Pending', error: expect.objectContaining({ code: 'HVS-IMAGE-DIGEST-MISMATCH' }) });
    expect(failed.message).toContain(`expected sha256:${wrong}, got sha256:${sha}`);
    expect(t.agent.observed.image('bad')).toMatchObject({ phase: 'Failed', expectedDigest: `sha256:${wrong}`, actualDigest: `sha256:${sha}` });
    t.agent.requeueVms();
    await until('another reconcile', () => t.agent.observed.get('u-db')?.reason === 'ImageFailed');
    expect(await t.agent.driver.get('hvs-u-db')).toBeUndefined();
    expect((await t.agent.driver.list()).map((d) => d.name)).not.toContain('hvs-u-db');
  });
});
