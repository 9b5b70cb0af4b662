// Where nodes download from is decided at apply: a new or changed source.url needs images.url,
// and must be under HVS_IMAGE_URL_PREFIXES when set.
import type { AnyResource, Image } from '@hvs/domain';
import { checkImageSources, withUploadDigest } from '../../src/services/image-sources';
import { contextFor } from '../../src/services/call-context';

const img = (name: string, url?: string, labels?: Record<string, string>): Image =>
  ({ apiVersion: 'hvs/v1', kind: 'Image', metadata: { name, ...(labels ? { labels } : {}) }, spec: { source: url ? { url } : { upload: true }, format: 'qcow2', sha256: 'ab'.repeat(32) } });
const admin = contextFor({ kind: 'user', name: 'root', role: 'admin' } as never);
const operator = contextFor({ kind: 'user', name: 'op', role: 'operator' } as never);
const caught = (fn: () => void) => {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  return undefined;
};

describe('checkImageSources', () => {
  const deb = img('deb', 'https://cloud.debian.org/images/debian-12.qcow2');

  it('a new URL needs images.url, named in the refusal', () => {
    const e = caught(() => checkImageSources([deb as AnyResource], [undefined], operator));
    expect(e?.code).toBe('HVS-AUTH-FORBIDDEN');
    expect(e?.message).toContain('images.url');
    expect(caught(() => checkImageSources([deb as AnyResource], [undefined], admin))).toBeUndefined();
  });

  it('a changed URL needs it; an unchanged one (labels only) and an upload do not', () => {
    const moved = img('deb', 'https://cloud.debian.org/images/debian-12b.qcow2');
    expect(caught(() => checkImageSources([moved as AnyResource], [deb], operator))?.code).toBe('HVS-AUTH-FORBIDDEN');
    const relabelled = img('deb', 'https://cloud.debian.org/images/debian-12.qcow2', { team: 'a' });
    expect(caught(() => checkImageSources([relabelled as AnyResource], [deb], operator))).toBeUndefined();
    expect(caught(() => checkImageSources([img('up') as AnyResource], [undefined], operator))).toBeUndefined();
  });

  it('outside HVS_IMAGE_URL_PREFIXES is refused naming the allowed prefixes; inside passes; no list allows any', () => {
    const prefixes = ['https://cloud.debian.org/', 'https://images.example/'];
    const e = caught(() => checkImageSources([img('x', 'https://evil.example/x.qcow2') as AnyResource], [undefined], admin, prefixes));
    expect(e?.code).toBe('HVS-IMAGE-URL-NOT-ALLOWED');
    expect(e?.message).toContain('https://cloud.debian.org/, https://images.example/');
    expect(caught(() => checkImageSources([deb as AnyResource], [undefined], admin, prefixes))).toBeUndefined();
    expect(caught(() => checkImageSources([img('x', 'https://evil.example/x.qcow2') as AnyResource], [undefined], admin, []))).toBeUndefined();
  });
});

describe('withUploadDigest', () => {
  const stored = { ...img('deb'), metadata: { name: 'deb', uid: 'u', resourceVersion: '3' } } as never;
  const bare = { apiVersion: 'hvs/v1', kind: 'Image', metadata: { name: 'deb' }, spec: { source: { upload: true }, format: 'qcow2' } } as AnyResource;

  it('keeps the digest the upload recorded when a manifest names the uploaded Image without one', () => {
    expect((withUploadDigest(bare, stored) as Image).spec.sha256).toBe('ab'.repeat(32));
  });

  it('leaves a manifest digest, a URL image, a trust-on-first-download image and a new Image as they are', () => {
    const own = { ...bare, spec: { ...(bare as Image).spec, sha256: 'cd'.repeat(32) } } as AnyResource;
    expect(withUploadDigest(own, stored)).toBe(own);
    const url = img('deb', 'https://x.example/a.qcow2');
    expect(withUploadDigest({ ...url, spec: { ...url.spec, sha256: undefined } } as AnyResource, stored)).not.toHaveProperty('spec.sha256', 'ab'.repeat(32));
    const tofu = { ...bare, spec: { ...(bare as Image).spec, allowUnverified: true } } as AnyResource;
    expect(withUploadDigest(tofu, stored)).toBe(tofu);
    expect(withUploadDigest(bare, undefined)).toBe(bare);
  });
});
