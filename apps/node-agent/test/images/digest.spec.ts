import type { Image } from '@hvs/domain';
import { expectedDigest, formatDigest, parseDigest } from '../../src/images/digest';

const HEX256 = 'ab'.repeat(32);
const HEX512 = 'cd'.repeat(64);

function image(spec: Partial<Image['spec']>): Image {
  return { apiVersion: 'hvs/v1', kind: 'Image', metadata: { name: 'debian' }, spec: { source: { url: 'http://mirror/x.qcow2' }, format: 'qcow2', ...spec } } as Image;
}

describe('parseDigest', () => {
  it.each([
    [`sha256:${HEX256}`, { algorithm: 'sha256', hex: HEX256 }],
    [`sha256:${HEX256.toUpperCase()}`, { algorithm: 'sha256', hex: HEX256 }],
    [`sha512:${HEX512}`, { algorithm: 'sha512', hex: HEX512 }],
    [` sha256:${HEX256} `, { algorithm: 'sha256', hex: HEX256 }],
  ])('reads %s', (text, want) => {
    expect(parseDigest(text)).toEqual(want);
  });

  it.each([
    HEX256, `sha256:${HEX512}`, `sha512:${HEX256}`, `md5:${'a'.repeat(32)}`, `sha256:${'g'.repeat(64)}`, 'sha256:', '', `sha256:${HEX256}/../x`,
  ])('refuses %j', (text) => {
    expect(parseDigest(text)).toBeUndefined();
  });

  it('formats back to the same text', () => {
    expect(formatDigest(parseDigest(`sha512:${HEX512}`)!)).toBe(`sha512:${HEX512}`);
  });
});

describe('expectedDigest', () => {
  it('prefers the controller\'s digest, then sha256, then sha512', () => {
    const other = 'ef'.repeat(32);
    expect(expectedDigest(image({ sha256: HEX256 }), `sha256:${other}`)).toEqual({ algorithm: 'sha256', hex: other });
    expect(expectedDigest(image({ sha256: HEX256, sha512: HEX512 }), undefined)).toEqual({ algorithm: 'sha256', hex: HEX256 });
    expect(expectedDigest(image({ sha512: HEX512 }), '')).toEqual({ algorithm: 'sha512', hex: HEX512 });
  });

  it('is undefined for trust on first download (no digest anywhere)', () => {
    expect(expectedDigest(image({ allowUnverified: true }), undefined)).toBeUndefined();
  });

  it('ignores a malformed controller digest and falls back to the spec', () => {
    expect(expectedDigest(image({ sha256: HEX256 }), 'sha256:nothex')).toEqual({ algorithm: 'sha256', hex: HEX256 });
  });
});
