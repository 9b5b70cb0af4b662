/**
 * The agent's side of ImageService.Download against a small in-test gRPC server (loopback, port
 * 0) implementing Download as the controller does: total size and digest on the first message,
 * bytes from the requested offset. Proves resume by offset after a broken stream and the errors.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Server, ServerCredentials, status, type ServerWritableStream } from '@grpc/grpc-js';
import type { Image, ImageObservation } from '@hvs/domain';
import { v1 } from '@hvs/proto';
import { FakeClock } from '@hvs/reconcile';
import { grpcImageSource, ImageCache } from '../../src/images';
import { tempDir, testVm } from '../support/fixtures';

const BODY = randomBytes(2 * 1024 * 1024 + 7);
const SHA256 = createHash('sha256').update(BODY).digest('hex');
const CHUNK = 256 * 1024;

describe('uploaded images through ImageService.Download', () => {
  let server: Server;
  let address: string;
  let dir: string;
  let cleanup: () => Promise<void>;
  const calls: { name: string; offset: number }[] = [];
  let failFirstAfter: number | undefined;

  beforeAll(async () => {
    server = new Server();
    server.addService(v1.ImageServiceService, {
      upload: () => undefined,
      download: (call: ServerWritableStream<v1.ImageDownloadRequest, v1.ImageChunk>) => {
        calls.push({ name: call.request.name, offset: call.request.offset });
        if (call.request.name !== 'golden') {
          call.emit('error', { code: status.NOT_FOUND, details: `image ${call.request.name} has no uploaded bytes` });
          return;
        }
        let sent = 0;
        for (let at = call.request.offset; at < BODY.length; at += CHUNK) {
          const data = BODY.subarray(at, Math.min(at + CHUNK, BODY.length));
          call.write({ totalBytes: at === call.request.offset ? BODY.length : 0, digest: at === call.request.offset ? `sha256:${SHA256}` : '', data });
          sent += data.length;
          if (failFirstAfter !== undefined && sent >= failFirstAfter) {
            failFirstAfter = undefined;
            call.emit('error', { code: status.UNAVAILABLE, details: 'controller restarting' });
            return;
          }
        }
        call.end();
      },
    });
    const port = await new Promise<number>((ok, fail) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => server.forceShutdown());
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('hvs-image-upload-'));
    calls.length = 0;
  });
  afterEach(() => cleanup());

  async function run(name: string): Promise<{ seen: ImageObservation[]; cache: ImageCache }> {
    const img = { apiVersion: 'hvs/v1', kind: 'Image', metadata: { name }, spec: { source: { upload: true }, format: 'raw', sha256: SHA256 } } as Image;
    const vm = testVm('vm-1', 'u1', { disks: [{ name: 'root', image: name, size: '1GiB' }] });
    const seen: ImageObservation[] = [];
    const source = grpcImageSource(address);
    const cache = new ImageCache({
      dir, clock: new FakeClock(0), needs: { images: { [name]: img }, desiredVms: () => [vm], imageDigests: () => ({}) },
      observed: { setImage: (o) => seen.push(o), forgetImage: () => undefined, event: () => undefined },
      log: { info: () => undefined, warn: () => undefined }, uploaded: source,
    });
    await cache.start();
    await cache.settled();
    cache.stop();
    return { seen, cache };
  }

  it('downloads, verifies and caches an uploaded image', async () => {
    const { seen } = await run('golden');
    expect(seen.at(-1)).toMatchObject({ phase: 'Ready', digest: `sha256:${SHA256}`, totalBytes: BODY.length });
    expect((await readFile(join(dir, 'sha256', SHA256))).equals(BODY)).toBe(true);
    expect(calls).toEqual([{ name: 'golden', offset: 0 }]);
  });

  it('resumes from the bytes on disk after the stream breaks (offset = part size)', async () => {
    failFirstAfter = CHUNK * 3;
    const { seen } = await run('golden');
    expect(seen.at(-1)).toMatchObject({ phase: 'Ready' });
    expect(calls.length).toBe(2);
    expect(calls[1].offset).toBeGreaterThan(0);
    expect(calls[1].offset).toBeLessThanOrEqual(CHUNK * 3);
    expect((await readFile(join(dir, 'sha256', SHA256))).equals(BODY)).toBe(true);
  });

  it('an image the controller does not hold fails with HVS-IMAGE-DOWNLOAD-FAILED (NOT_FOUND) and a fix', async () => {
    const { seen } = await run('missing');
    expect(seen.at(-1)).toMatchObject({ phase: 'Failed', error: expect.objectContaining({ code: 'HVS-IMAGE-DOWNLOAD-FAILED', why: expect.stringMatching(/NOT_FOUND/), fix: expect.stringMatching(/hvctl image import/) }) });
  });
});
