/**
 * `hvctl image import|get|describe` against the REAL controller (real etcd, the whole app):
 * a file is streamed through ImageService/Upload with progress on stderr, its sha256 is
 * computed by the controller and shown; the same file again changes nothing; a wrong --sha256
 * leaves nothing; the table and the per-node progress bars read the Image's status.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Image } from '@hvs/domain';
import { startEtcd, type EtcdInstance } from '../../../test/harness';
import { startController, type ControllerUnderTest } from '../../controller/test/api/controller-under-test';
import { runCli } from '../src/cli';
import { fakeIo } from './fake-io';

jest.setTimeout(120_000);

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
let dir: string;
let env: NodeJS.ProcessEnv;
const bytes = randomBytes(5 * 1024 * 1024 + 3);
const hex = createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-image-'));
  env = { HOME: dir, XDG_CONFIG_HOME: dir };
  fs.writeFileSync(path.join(dir, 'ca.crt'), ctl.pki.ca.certificatePem);
  fs.writeFileSync(path.join(dir, 'admin.token'), `${ctl.token}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'disk.qcow2'), bytes);
  const r = await hvctl('config', 'set-context', 'admin', '--controller', ctl.grpc, '--ca-file', path.join(dir, 'ca.crt'), '--token-file', path.join(dir, 'admin.token'), '--use');
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await ctl?.close();
  await etcd?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function hvctl(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return hvctlIn(false, ...argv);
}

async function hvctlIn(tty: boolean, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo({ env, tty });
  const code = await runCli(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

const store = () => ctl.store;

describe('hvctl image', () => {
  it('import streams the file, prints progress lines (not a terminal) and the computed digest', async () => {
    const r = await hvctl('image', 'import', path.join(dir, 'disk.qcow2'), '--name', 'disk');
    expect([r.code, r.err]).toEqual([0, expect.stringContaining('uploading disk: 100% (5MiB/5MiB)')]);
    expect(r.err).toContain('uploading disk: 0%');
    expect(r.out).toBe(`image/disk imported: 5MiB sha256:${hex}\n`);
    const img = await store().get<Image>('Image', 'disk');
    expect(img.spec).toEqual({ source: { upload: true }, format: 'qcow2', sha256: hex });
    expect(img.status).toMatchObject({ phase: 'Ready', uploaded: true, digest: `sha256:${hex}` });
  });

  it('on a terminal, import redraws one progress bar in place', async () => {
    const r = await hvctlIn(true, 'image', 'import', path.join(dir, 'disk.qcow2'), '--name', 'disk-tty');
    expect(r.code).toBe(0);
    const frames = r.err.split('\r\u001b[K').filter((f) => f !== '');
    expect(frames.length).toBeGreaterThan(2);
    expect(frames[0]).toMatch(/^uploading disk-tty \[\.{24}\] {3}0% 0B\/5MiB/);
    expect(frames[frames.length - 1]).toMatch(/^uploading disk-tty \[#{24}\] 100% 5MiB\/5MiB .*\n$/);
  });

  it('the same file again is unchanged', async () => {
    const r = await hvctl('image', 'import', path.join(dir, 'disk.qcow2'), '--name', 'disk', '--sha256', hex);
    expect([r.code, r.out]).toEqual([0, `image/disk unchanged (the same bytes were already there): 5MiB sha256:${hex}\n`]);
  });

  it('a wrong --sha256 fails with the controller\'s code and leaves nothing', async () => {
    const r = await hvctl('image', 'import', path.join(dir, 'disk.qcow2'), '--name', 'other', '--sha256', '0'.repeat(64));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('HVS-IMAGE-DIGEST-MISMATCH');
    await expect(store().get('Image', 'other')).rejects.toMatchObject({ category: 'NotFound' });
  });

  it('a refusal while the bytes still stream ends the import at once with the controller\'s code (a viewer)', async () => {
    fs.writeFileSync(path.join(dir, 'viewer.token'), `${await ctl.tokenFor('img-viewer', 'viewer')}\n`, { mode: 0o600 });
    expect((await hvctl('config', 'set-context', 'viewer', '--controller', ctl.grpc, '--ca-file', path.join(dir, 'ca.crt'), '--token-file', path.join(dir, 'viewer.token'))).code).toBe(0);
    const r = await hvctl('--context', 'viewer', 'image', 'import', path.join(dir, 'disk.qcow2'), '--name', 'by-viewer');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('HVS-AUTH-FORBIDDEN');
    expect(r.err).toContain('cluster.write');
    await expect(store().get('Image', 'by-viewer')).rejects.toMatchObject({ category: 'NotFound' });
  });

  it('the format comes from the extension, or --format; never guessed from the bytes', async () => {
    fs.writeFileSync(path.join(dir, 'disk.bin'), bytes.subarray(0, 1000));
    const r = await hvctl('image', 'import', path.join(dir, 'disk.bin'), '--name', 'bin');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/HVS-CLI-USAGE.*cannot tell the format of disk.bin[\s\S]*--format/);
    const ok = await hvctl('image', 'import', path.join(dir, 'disk.bin'), '--name', 'bin', '--format', 'raw');
    expect(ok.code).toBe(0);
  });

  it('get shows NAME FORMAT SIZE DIGEST PHASE NODES', async () => {
    const r = await hvctl('image', 'get');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['NAME', 'FORMAT', 'SIZE', 'DIGEST', 'PHASE', 'NODES']);
    expect(lines.find((l) => l.startsWith('disk '))?.split(/\s+/)).toEqual(['disk', 'qcow2', '5MiB', `sha256:${hex.slice(0, 12)}…`, 'Ready', 'controller']);
  });

  it('get -w draws a progress bar per node downloading and ends once every copy is settled', async () => {
    const img = await store().get<Image>('Image', 'disk');
    await store().updateStatus({ ...img, status: { ...img.status, nodes: [
      { node: 'n1', phase: 'Downloading', cached: false, bytes: 1024 * 1024, totalBytes: 4 * 1024 * 1024, bytesPerSecond: 512 * 1024, etaSeconds: 6 },
      { node: 'n2', phase: 'Ready', cached: true, verified: true, bytes: 4 * 1024 * 1024, totalBytes: 4 * 1024 * 1024 },
    ] } });
    const watching = hvctl('image', 'get', 'disk', '-w');
    // Let the first frame be drawn, then the download finishes.
    await new Promise((r) => setTimeout(r, 300));
    const now = await store().get<Image>('Image', 'disk');
    await store().updateStatus({ ...now, status: { ...now.status, nodes: now.status!.nodes!.map((n) => ({ ...n, phase: 'Ready' as const, cached: true, bytes: n.totalBytes })) } });
    const r = await watching;
    expect(r.code).toBe(0);
    expect(r.out).toContain('disk on n1 [######..................]  25% 1MiB/4MiB 512KiB/s ETA 6s');
    expect(r.out.trimEnd().split('\n').pop()).toMatch(/^disk\s+qcow2\s+5MiB\s+\S+\s+Ready\s+2\/2 ready$/);
  });

  it('describe lists each node copy', async () => {
    const r = await hvctl('image', 'describe', 'disk');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Nodes:');
    expect(r.out).toMatch(/n1\s+Ready\s+4MiB\/4MiB/);
  });
});
