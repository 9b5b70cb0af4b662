import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { DEFAULT_RENEW_FRACTION, KEY_ALGORITHM, expiresIn, exportPrivateKeyPem, fingerprintOf, generateKeyPair, needsRenewal, parseCertificate } from '../src';
import { TestCa } from './support';

const DAY = 86_400_000;

let ca: TestCa;
beforeAll(async () => {
  ca = await TestCa.create();
});

describe('keys (x509 setup)', () => {
  it('makes ECDSA P-256 key pairs whose private half exports as PKCS#8 PEM that Node reads', async () => {
    const keys = await generateKeyPair();
    expect(keys.privateKey.algorithm).toMatchObject({ name: KEY_ALGORITHM.name, namedCurve: 'P-256' });
    const pem = await exportPrivateKeyPem(keys.privateKey);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n?$/);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });
});

describe('fingerprintOf, parseCertificate', () => {
  it('is the lower-case hex SHA-256 of the DER, the same from PEM text, a Buffer or a parsed certificate', () => {
    const parsed = parseCertificate(ca.pem);
    const expected = createHash('sha256').update(parsed.raw).digest('hex');
    expect(expected).toBe(parsed.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(fingerprintOf(ca.pem)).toBe(expected);
    expect(fingerprintOf(Buffer.from(ca.pem))).toBe(expected);
    expect(fingerprintOf(parsed)).toBe(expected);
    expect(fingerprintOf(parsed.raw)).toBe(expected);
  });

  it('throws on text that is not a certificate', () => {
    expect(() => fingerprintOf('not a certificate')).toThrow();
    expect(() => parseCertificate('')).toThrow();
  });
});

describe('needsRenewal, expiresIn', () => {
  // Whole seconds: X.509 times have no milliseconds.
  const from = Date.parse('2030-01-01T00:00:00Z');
  const to = from + 90 * DAY;
  let certPem: string;
  beforeAll(async () => {
    certPem = (await ca.identity('CN=node:n1', ['n1.node.hvs'], { from: new Date(from), to: new Date(to) })).certPem;
  });

  it('turns true once 2/3 of the validity has passed (day 60 of 90), and stays true after expiry', () => {
    expect(DEFAULT_RENEW_FRACTION).toBeCloseTo(2 / 3);
    expect(needsRenewal(certPem, from)).toBe(false);
    expect(needsRenewal(certPem, from + 60 * DAY - 1)).toBe(false);
    expect(needsRenewal(certPem, from + 60 * DAY)).toBe(true);
    expect(needsRenewal(certPem, to + DAY)).toBe(true);
  });

  it('takes another fraction, and a parsed certificate as well as PEM', () => {
    const parsed = new X509Certificate(certPem);
    expect(needsRenewal(parsed, from + 9 * DAY - 1, 0.1)).toBe(false);
    expect(needsRenewal(parsed, from + 9 * DAY, 0.1)).toBe(true);
    expect(needsRenewal(parsed, from + 89 * DAY, 1)).toBe(false);
  });

  it('reports the time left to notAfter, negative once expired', () => {
    expect(expiresIn(certPem, from)).toBe(90 * DAY);
    expect(expiresIn(new X509Certificate(certPem), to)).toBe(0);
    expect(expiresIn(certPem, to + 1000)).toBe(-1000);
  });
});
