/**
 * Image sources at apply against a real controller (HVS_IMAGE_URL_PREFIXES set), and Image status
 * written from agent reports by the writer the control loops run (dispatcher onImageObserved; here
 * over the controller's real etcd store and audit log): progress per node, the
 * digest pinned on first download (allowUnverified) with its audit record.
 */
import { status } from '@grpc/grpc-js';
import type { Image } from '@hvs/domain';
import { hvsErrorFromServiceError, type agentv1 } from '@hvs/proto';
import { SystemClock } from '@hvs/reconcile';
import { AuditService } from '../../src/audit';
import { ImageStatusWriter } from '../../src/dispatch/image-status';
import { OBJECT_STORE } from '../../src/services/tokens';
import type { ObjectStore } from '../../src/store';
import { call, controllerForFile, documents, rejection } from '../api/controller-under-test';

jest.setTimeout(120_000);

const ctl = controllerForFile({ HVS_IMAGE_URL_PREFIXES: 'https://cloud.debian.org/,https://images.example/' });
const HEX = 'ab'.repeat(32);

const imageYaml = (name: string, url: string, extra = `sha256: ${HEX}`) => `apiVersion: hvs/v1
kind: Image
metadata:
  name: ${name}
spec:
  source:
    url: ${url}
  format: qcow2
  ${extra}
`;
const apply = (yaml: string) => call(ctl.resources, ctl.resources.apply, { documents: documents(yaml), dryRun: false, fieldManager: '', pruneSelector: '' });
const store = () => ctl.app.get<ObjectStore>(OBJECT_STORE);

async function until<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Image URL at apply', () => {
  it('a URL outside HVS_IMAGE_URL_PREFIXES is refused naming the prefixes, and nothing is written', async () => {
    const e = await rejection(apply(imageYaml('evil', 'https://evil.example/disk.qcow2')));
    expect(e.code).toBe(status.PERMISSION_DENIED);
    const err = hvsErrorFromServiceError(e);
    expect(err?.code).toBe('HVS-IMAGE-URL-NOT-ALLOWED');
    expect(err?.message).toContain('https://cloud.debian.org/, https://images.example/');
    expect((await rejection(call(ctl.resources, ctl.resources.get, { kind: 'Image', name: 'evil', reveal: false }))).code).toBe(status.NOT_FOUND);
  });

  it('a URL under an allowed prefix is applied', async () => {
    const r = await apply(imageYaml('debian', 'https://cloud.debian.org/images/cloud/bookworm/debian-12-generic-amd64.qcow2'));
    expect(r.results).toHaveLength(1);
    expect((await store().get<Image>('Image', 'debian')).spec.source.url).toContain('https://cloud.debian.org/');
  });

  it('an operator (no cluster.write, no images.url) cannot apply an Image', async () => {
    const creds = ctl.bearerCreds(await ctl.tokenFor('img-op', 'operator'));
    const { v1 } = await import('@hvs/proto');
    const c = new v1.ResourceServiceClient(ctl.grpc, creds, ctl.options);
    try {
      const e = await rejection(call(c, c.apply, { documents: documents(imageYaml('op-img', 'https://images.example/x.qcow2')), dryRun: false, fieldManager: '', pruneSelector: '' }));
      expect(e.code).toBe(status.PERMISSION_DENIED);
    } finally {
      c.close();
    }
  });
});

describe('Image status from agent reports (real etcd)', () => {
  const report = (image: string, o: Partial<agentv1.ImageObserved>): agentv1.ImageObserved => ({
    image, phase: 'Downloading', bytes: 0, totalBytes: 0, bytesPerSecond: 0, etaSeconds: 0, verified: false, digest: '', reason: '', message: '', expectedDigest: '', actualDigest: '', error: undefined, ...o,
  });

  it('progress, then the first verified digest pinned (allowUnverified) with an audit record', async () => {
    await apply(imageYaml('tofu', 'https://images.example/tofu.qcow2', 'allowUnverified: true'));
    const writer = new ImageStatusWriter({ store: store(), clock: new SystemClock(), audit: ctl.app.get(AuditService), minIntervalMs: 100 });
    writer.observe('n1', report('tofu', { bytes: 512, totalBytes: 2048, bytesPerSecond: 256, etaSeconds: 6 }));
    const progressing = await until(async () => {
      const i = await store().get<Image>('Image', 'tofu');
      return i.status?.nodes?.[0]?.bytes === 512 ? i : undefined;
    }, 'progress in status');
    expect(progressing.status).toMatchObject({ phase: 'Downloading', nodes: [{ node: 'n1', phase: 'Downloading', bytes: 512, totalBytes: 2048, bytesPerSecond: 256, etaSeconds: 6 }] });
    writer.observe('n1', report('tofu', { phase: 'Ready', verified: true, bytes: 2048, totalBytes: 2048, digest: `sha256:${HEX}` }));
    const pinned = await until(async () => {
      const i = await store().get<Image>('Image', 'tofu');
      return i.status?.pinned ? i : undefined;
    }, 'the pin');
    expect(pinned.status).toMatchObject({ phase: 'Ready', pinned: true, digest: `sha256:${HEX}`, sizeBytes: 2048 });
    const audit = await until(async () => {
      const a = await call(ctl.audit, ctl.audit.list, { kind: 'Image', name: 'tofu', actor: '', operation: 'pin-digest', since: '', limit: 10, continueToken: '' });
      return a.records.length > 0 ? a : undefined;
    }, 'the audit record');
    expect(audit.records[0]).toMatchObject({ actor: 'node:n1', result: 'ok' });
    writer.stop();
  });
});
