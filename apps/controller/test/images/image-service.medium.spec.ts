/**
 * ImageService against a real controller and etcd: an upload computes the sha256 while it
 * streams, creates the Image with status Ready, stores the bytes once under their digest, and
 * leaves nothing behind when the digest is wrong or the client goes away; a node downloads the
 * bytes of an Image one of its VMs uses (from an offset), nobody else does.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import type { Image } from '@hvs/domain';
import { hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { clientCredentials, CONTROLLER_SERVER_NAME } from '../../src/pki';
import { DOWNLOAD_CHUNK_BYTES } from '../../src/images';
import { OBJECT_STORE } from '../../src/services/tokens';
import type { ObjectStore } from '../../src/store';
import { bindVm, call, controllerForFile, documents, rejection } from '../api/controller-under-test';

jest.setTimeout(120_000);

const ctl = controllerForFile();
const store = () => ctl.app.get<ObjectStore>(OBJECT_STORE);
const imagesDir = () => path.join(ctl.dataDir, 'images');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function client(creds: ChannelCredentials): v1.ImageServiceClient {
  return new v1.ImageServiceClient(ctl.grpc, creds, ctl.options);
}

interface UploadArgs { name: string; format?: string; sha256?: string; sizeBytes?: number; chunks: Buffer[]; creds?: ChannelCredentials }

/** One Upload: the header, then each chunk; resolves with the answer. */
function upload(a: UploadArgs): Promise<v1.ImageUploadResponse> {
  const c = client(a.creds ?? ctl.creds);
  return new Promise<v1.ImageUploadResponse>((resolve, reject) => {
    const s = c.upload(new Metadata(), { deadline: new Date(Date.now() + 30_000) }, (e: ServiceError | null, r?: v1.ImageUploadResponse) => (e ? reject(e) : resolve(r!)));
    const size = a.sizeBytes ?? a.chunks.reduce((n, c) => n + c.length, 0);
    s.write({ part: { $case: 'header', value: { name: a.name, format: a.format ?? 'raw', sizeBytes: size, sha256: a.sha256 ?? '', labels: {} } } });
    for (const d of a.chunks) s.write({ part: { $case: 'data', value: d } });
    s.end();
  }).finally(() => c.close());
}

/** Every message of one Download. */
async function download(creds: ChannelCredentials, name: string, offset = 0): Promise<v1.ImageChunk[]> {
  const c = client(creds);
  try {
    const out: v1.ImageChunk[] = [];
    for await (const m of c.download({ name, offset }, new Metadata(), { deadline: new Date(Date.now() + 30_000) })) out.push(m as v1.ImageChunk);
    return out;
  } finally {
    c.close();
  }
}

function leftovers(): string[] {
  const dir = imagesDir();
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.startsWith('.upload-'));
}

const codeOf = (e: ServiceError) => hvsErrorFromServiceError(e)?.code;

async function imageOf(name: string): Promise<Image | undefined> {
  try {
    return await store().get<Image>('Image', name);
  } catch {
    return undefined;
  }
}

function vmUsing(name: string, image: string): string {
  return `apiVersion: hvs/v1
kind: VirtualMachine
metadata:
  name: ${name}
spec:
  cpu:
    cores: 1
  memory:
    size: 256MiB
  disks:
    - name: os
      size: 1GiB
      image: ${image}
  networks: []
`;
}

describe('ImageService/Upload', () => {
  const bytes = randomBytes(3 * 1024 * 1024 + 123);
  const hex = sha(bytes);

  it('computes the digest while streaming, stores the bytes under it and creates the Image Ready', async () => {
    const r = await upload({ name: 'up-1', format: 'qcow2', sizeBytes: bytes.length, chunks: [bytes.subarray(0, 1 << 20), bytes.subarray(1 << 20)] });
    expect(r).toEqual({ name: 'up-1', sizeBytes: bytes.length, digest: `sha256:${hex}`, changed: true });
    expect(fs.readFileSync(path.join(imagesDir(), 'sha256', hex)).equals(bytes)).toBe(true);
    const img = await imageOf('up-1');
    expect(img?.spec).toEqual({ source: { upload: true }, format: 'qcow2', sha256: hex });
    expect(img?.status).toMatchObject({ phase: 'Ready', uploaded: true, sizeBytes: bytes.length, digest: `sha256:${hex}` });
    const audit = await call(ctl.audit, ctl.audit.list, { kind: 'Image', name: 'up-1', actor: '', operation: 'upload', since: '', limit: 10, continueToken: '' });
    expect(audit.records.map((x) => x.result)).toEqual(['ok']);
    expect(leftovers()).toEqual([]);
  });

  it('the same bytes again change nothing', async () => {
    const before = await imageOf('up-1');
    const mtime = fs.statSync(path.join(imagesDir(), 'sha256', hex)).mtimeMs;
    const r = await upload({ name: 'up-1', format: 'qcow2', chunks: [bytes] });
    expect(r.changed).toBe(false);
    expect((await imageOf('up-1'))?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(fs.statSync(path.join(imagesDir(), 'sha256', hex)).mtimeMs).toBe(mtime);
  });

  it('concurrent uploads do not disturb each other', async () => {
    const a = randomBytes(1_500_000);
    const b = randomBytes(1_700_000);
    const [ra, rb] = await Promise.all([upload({ name: 'par-a', chunks: [a.subarray(0, 700_000), a.subarray(700_000)] }), upload({ name: 'par-b', chunks: [b.subarray(0, 900_000), b.subarray(900_000)] })]);
    expect([ra.digest, rb.digest]).toEqual([`sha256:${sha(a)}`, `sha256:${sha(b)}`]);
    expect(fs.readFileSync(path.join(imagesDir(), 'sha256', sha(b))).equals(b)).toBe(true);
  });

  it('a wrong expected sha256 leaves no file and no object', async () => {
    const other = randomBytes(200_000);
    const e = await rejection(upload({ name: 'up-bad', sha256: 'a'.repeat(64), chunks: [other] }));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(codeOf(e)).toBe('HVS-IMAGE-DIGEST-MISMATCH');
    expect(e.details).toContain(`sha256:${sha(other)}`);
    expect(await imageOf('up-bad')).toBeUndefined();
    expect(fs.existsSync(path.join(imagesDir(), 'sha256', sha(other)))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('an interrupted stream leaves no file and no object', async () => {
    const c = client(ctl.creds);
    const s = c.upload(new Metadata(), () => undefined);
    s.write({ part: { $case: 'header', value: { name: 'up-cut', format: 'raw', sizeBytes: 4 << 20, sha256: '', labels: {} } } });
    s.write({ part: { $case: 'data', value: randomBytes(1 << 20) } });
    // The temp file exists once bytes arrived; then the client goes away mid-stream.
    for (let i = 0; i < 200 && leftovers().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(leftovers()).toHaveLength(1);
    s.cancel();
    c.close();
    for (let i = 0; i < 200 && leftovers().length > 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(leftovers()).toEqual([]);
    expect(await imageOf('up-cut')).toBeUndefined();
  });

  it('a declared size above the cap, no size, fewer or more bytes than announced and an unknown format are refused with codes', async () => {
    const big = await rejection(upload({ name: 'up-big', sizeBytes: 65 * 1024 ** 3, chunks: [] }));
    expect(codeOf(big)).toBe('HVS-IMAGE-TOO-LARGE');
    const unsized = await rejection(upload({ name: 'up-unsized', sizeBytes: 0, chunks: [Buffer.from('x')] }));
    expect(codeOf(unsized)).toBe('HVS-IMAGE-UPLOAD-INVALID');
    const short = await rejection(upload({ name: 'up-short', sizeBytes: 10, chunks: [Buffer.from('12345')] }));
    expect(codeOf(short)).toBe('HVS-IMAGE-UPLOAD-INCOMPLETE');
    const long = await rejection(upload({ name: 'up-long', sizeBytes: 3, chunks: [Buffer.from('12345')] }));
    expect(codeOf(long)).toBe('HVS-IMAGE-UPLOAD-INCOMPLETE');
    for (const n of ['up-unsized', 'up-short', 'up-long']) expect(await imageOf(n)).toBeUndefined();
    const c = client(ctl.creds);
    const badLabel = await rejection(new Promise((resolve, reject) => {
      const s = c.upload(new Metadata(), (e: ServiceError | null, r?: v1.ImageUploadResponse) => (e ? reject(e) : resolve(r)));
      s.write({ part: { $case: 'header', value: { name: 'up-label', format: 'raw', sizeBytes: 1, sha256: '', labels: { 'bad key!': 'x' } } } });
      s.write({ part: { $case: 'data', value: Buffer.from('x') } });
      s.end();
    }));
    c.close();
    expect(badLabel.code).toBe(status.INVALID_ARGUMENT);
    expect(await imageOf('up-label')).toBeUndefined();
    const fmt = await rejection(upload({ name: 'up-fmt', format: 'vmdk', chunks: [Buffer.from('x')] }));
    expect(codeOf(fmt)).toBe('HVS-IMAGE-UPLOAD-INVALID');
    expect(leftovers()).toEqual([]);
  });

  it('bytes that are no ImageUploadChunk get the coded INVALID_ARGUMENT, not a bare INTERNAL, and leave nothing', async () => {
    const raw = new Client(ctl.grpc, ctl.creds, ctl.options);
    const pass = (b: Buffer) => b;
    const e = await new Promise<ServiceError>((resolve) => {
      const s = raw.makeClientStreamRequest('/hvs.v1.ImageService/Upload', pass, pass, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (err) => resolve(err!));
      s.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
      s.end();
    });
    raw.close();
    expect([e.code, codeOf(e)]).toEqual([status.INVALID_ARGUMENT, 'HVS-API-MESSAGE-INVALID']);
    expect(leftovers()).toEqual([]);
  });

  it('a viewer may not upload', async () => {
    const e = await rejection(upload({ name: 'up-viewer', chunks: [Buffer.from('x')], creds: ctl.bearerCreds(await ctl.tokenFor('img-viewer', 'viewer')) }));
    expect(e.code).toBe(status.PERMISSION_DENIED);
    expect(await imageOf('up-viewer')).toBeUndefined();
  });
});

describe('ImageService/Download', () => {
  const bytes = randomBytes(2 * 1024 * 1024 + 7);
  let n1: ChannelCredentials;
  let n2: ChannelCredentials;

  beforeAll(async () => {
    await upload({ name: 'dl-1', chunks: [bytes] });
    await call(ctl.resources, ctl.resources.apply, { documents: documents(vmUsing('dl-vm', 'dl-1')), dryRun: false, fieldManager: '', pruneSelector: '' });
    const creds = async (node: string) => {
      const id = await ctl.joinNode(node);
      return clientCredentials(ctl.pki.ca.certificatePem, id.certPem, id.keyPem, { expectedServerName: CONTROLLER_SERVER_NAME });
    };
    n1 = await creds('dl-n1');
    n2 = await creds('dl-n2');
    await bindVm(ctl, 'dl-vm', 'dl-n1');
  });

  it('a node with a VM using the Image gets its bytes in 256 KiB chunks, total and digest first', async () => {
    const msgs = await download(n1, 'dl-1');
    expect(msgs[0]).toMatchObject({ totalBytes: bytes.length, digest: `sha256:${sha(bytes)}` });
    expect(msgs.slice(1).every((m) => m.totalBytes === 0 && m.digest === '')).toBe(true);
    expect(Math.max(...msgs.map((m) => m.data.length))).toBe(DOWNLOAD_CHUNK_BYTES);
    expect(Buffer.concat(msgs.map((m) => m.data)).equals(bytes)).toBe(true);
  });

  it('resumes from an offset', async () => {
    const offset = 1_500_000;
    const msgs = await download(n1, 'dl-1', offset);
    expect(msgs[0]?.totalBytes).toBe(bytes.length);
    expect(Buffer.concat(msgs.map((m) => m.data)).equals(bytes.subarray(offset))).toBe(true);
  });

  it('a node none of whose VMs uses the Image is refused', async () => {
    const e = await rejection(download(n2, 'dl-1'));
    expect(e.code).toBe(status.PERMISSION_DENIED);
    expect(e.details).toContain('no VM assigned to node dl-n2 uses the Image dl-1');
  });

  it('a user (even admin) is refused: downloads are for nodes', async () => {
    const e = await rejection(download(ctl.creds, 'dl-1'));
    expect(e.code).toBe(status.PERMISSION_DENIED);
  });

  it('a replica without the bytes says so with a code (uploaded bytes stay on the replica that received them)', async () => {
    const digest = (await imageOf('dl-1'))!.status!.digest!;
    const file = path.join(imagesDir(), 'sha256', digest.slice('sha256:'.length));
    const moved = `${file}.away`;
    fs.renameSync(file, moved);
    try {
      const e = await rejection(download(n1, 'dl-1'));
      expect(e.code).toBe(status.FAILED_PRECONDITION);
      expect(codeOf(e)).toBe('HVS-IMAGE-BYTES-ELSEWHERE');
    } finally {
      fs.renameSync(moved, file);
    }
  });
});
