import * as fs from 'node:fs';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ClusterCa, expiresIn, fingerprintOf, needsRenewal } from '../../src/pki';
import { makeCsr, modeOf, nodeIdentity, refusal, rsaCsr, tempDirs } from './fixtures';

const DAY = 86_400_000;
const dataDir = tempDirs();

describe('ClusterCa.loadOrCreate', () => {
  it('creates a P-256 CA valid for 10 years with the key 0600 in a 0700 pki dir, and loads the same CA again', async () => {
    const d = dataDir();
    const now = Date.parse('2030-01-01T00:00:00Z');
    const ca = await ClusterCa.loadOrCreate(d, { now: () => now });
    expect(modeOf(path.join(d, 'pki'))).toBe(0o700);
    expect(modeOf(path.join(d, 'pki', 'ca.key'))).toBe(0o600);
    const cert = new X509Certificate(fs.readFileSync(path.join(d, 'pki', 'ca.crt')));
    expect(cert.ca).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(new Date(cert.validTo).getTime() - now).toBeGreaterThanOrEqual(3649 * DAY);
    expect(ca.fingerprint).toBe(fingerprintOf(cert));
    const again = await ClusterCa.loadOrCreate(d);
    expect(again.fingerprint).toBe(ca.fingerprint);
    expect(fs.readdirSync(path.join(d, 'pki')).sort()).toEqual(['ca.crt', 'ca.key']);
  });

  it('tightens a key file and dir that were left readable by others', async () => {
    const d = dataDir();
    await ClusterCa.loadOrCreate(d);
    fs.chmodSync(path.join(d, 'pki', 'ca.key'), 0o644);
    fs.chmodSync(path.join(d, 'pki'), 0o755);
    await ClusterCa.loadOrCreate(d);
    expect(modeOf(path.join(d, 'pki', 'ca.key'))).toBe(0o600);
    expect(modeOf(path.join(d, 'pki'))).toBe(0o700);
  });

  it('refuses a certificate without its key, and a key that belongs to another CA, without printing key bytes', async () => {
    const a = dataDir();
    const b = dataDir();
    await ClusterCa.loadOrCreate(a);
    await ClusterCa.loadOrCreate(b);
    const keyB = fs.readFileSync(path.join(b, 'pki', 'ca.key'), 'utf8');
    fs.copyFileSync(path.join(b, 'pki', 'ca.key'), path.join(a, 'pki', 'ca.key'));
    const mismatch = await refusal(ClusterCa.loadOrCreate(a));
    expect(mismatch.code).toBe('HVS-PKI-CA-UNREADABLE');
    expect(mismatch.why).toMatch(/does not belong/);
    expect(String(mismatch) + mismatch.why).not.toContain(keyB.split('\n')[1]!);
    fs.rmSync(path.join(a, 'pki', 'ca.key'));
    expect((await refusal(ClusterCa.loadOrCreate(a))).why).toMatch(/ca.key is missing/);
  });
});

describe('ClusterCa.signNodeCsr', () => {
  let ca: ClusterCa;
  const now = Date.parse('2030-01-01T00:00:00Z');
  beforeAll(async () => {
    ca = await ClusterCa.loadOrCreate(dataDir(), { now: () => now });
  });

  it('issues a 90-day certificate naming only node:<name> / <name>.node.hvs, for client and server auth', async () => {
    const { csrPem } = await makeCsr('CN=node:host-1');
    const issued = await ca.signNodeCsr(csrPem, 'host-1');
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.subject).toBe('CN=node:host-1');
    expect(cert.subjectAltName).toBe('DNS:host-1.node.hvs');
    expect(cert.keyUsage?.sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(cert.ca).toBe(false);
    expect(cert.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(issued.expiresAt.getTime()).toBe(now + 90 * DAY);
    expect(new Date(cert.validTo).getTime()).toBe(Math.floor((now + 90 * DAY) / 1000) * 1000);
    expect(issued.caCertificatePem).toBe(ca.certificatePem);
  });

  it('takes the validity from the options', async () => {
    const short = await ClusterCa.loadOrCreate(dataDir(), { now: () => now, nodeCertValidityMs: 7 * DAY });
    const issued = await short.signNodeCsr((await makeCsr('CN=node:n1')).csrPem, 'n1');
    expect(issued.expiresAt.getTime()).toBe(now + 7 * DAY);
  });

  it('refuses a request naming another node, in the subject or in a SAN, and never echoes the CSR', async () => {
    const other = await makeCsr('CN=node:host-2');
    const e = await refusal(ca.signNodeCsr(other.csrPem, 'host-1'));
    expect(e.code).toBe('HVS-PKI-CSR-NAME-MISMATCH');
    expect(e.category).toBe('PermissionDenied');
    expect(e.message).toContain('host-1');
    expect(JSON.stringify({ ...e, m: e.message })).not.toContain(other.csrPem.split('\n')[1]!);
    const extraSan = await makeCsr('CN=node:host-1', { sans: [{ type: 'dns', value: 'host-1.node.hvs' }, { type: 'dns', value: 'controller.hvs' }] });
    expect((await refusal(ca.signNodeCsr(extraSan.csrPem, 'host-1'))).code).toBe('HVS-PKI-CSR-NAME-MISMATCH');
    const controller = await makeCsr('CN=hvs-controller');
    expect((await refusal(ca.signNodeCsr(controller.csrPem, 'host-1'))).code).toBe('HVS-PKI-CSR-NAME-MISMATCH');
    const matchingSan = await makeCsr('CN=node:host-1', { sans: [{ type: 'dns', value: 'host-1.node.hvs' }] });
    await expect(ca.signNodeCsr(matchingSan.csrPem, 'host-1')).resolves.toBeDefined();
  });

  it('refuses garbage, a bad signature, a non-P-256 key and a bad node name', async () => {
    expect((await refusal(ca.signNodeCsr('not a csr', 'n1'))).code).toBe('HVS-PKI-CSR-INVALID');
    const { csrPem } = await makeCsr('CN=node:n1');
    // Flip one bit inside the signature (the end of the DER): proof of possession fails.
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3] = der[der.length - 3]! ^ 0x01;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect((await refusal(ca.signNodeCsr(tampered, 'n1'))).why).toMatch(/signature/);
    expect((await refusal(ca.signNodeCsr(await rsaCsr('CN=node:n1'), 'n1'))).why).toMatch(/P-256/);
    expect((await refusal(ca.signNodeCsr(csrPem, 'N1_bad'))).code).toBe('HVS-PKI-NODE-NAME-INVALID');
  });
});

describe('ClusterCa.verifyPeer', () => {
  let now = Date.parse('2030-01-01T00:00:00Z');
  let ca: ClusterCa;
  let other: ClusterCa;
  beforeAll(async () => {
    ca = await ClusterCa.loadOrCreate(dataDir(), { now: () => now });
    other = await ClusterCa.loadOrCreate(dataDir(), { now: () => now });
  });
  afterEach(() => {
    now = Date.parse('2030-01-01T00:00:00Z');
  });

  it('names the node of a certificate it issued, from PEM or DER', async () => {
    const { certPem } = await nodeIdentity(ca, 'host-1');
    expect(ca.verifyPeer(certPem).node).toBe('host-1');
    expect(ca.verifyPeer(new X509Certificate(certPem).raw)).toEqual({ node: 'host-1', expiresAt: new Date(now + 90 * DAY), fingerprint: fingerprintOf(certPem) });
  });

  it('refuses another CA\'s node certificate, an expired one, the controller\'s own and garbage', async () => {
    const foreign = await nodeIdentity(other, 'host-1');
    expect(() => ca.verifyPeer(foreign.certPem)).toThrow(/HVS-PKI-PEER-UNTRUSTED|does not identify/);
    const { certPem } = await nodeIdentity(ca, 'host-1');
    now += 91 * DAY;
    expect(() => ca.verifyPeer(certPem)).toThrow(expect.objectContaining({ code: 'HVS-PKI-PEER-UNTRUSTED', why: expect.stringMatching(/expired/) }));
    now = Date.parse('2030-01-01T00:00:00Z');
    const server = await ca.issueServerCert({ dns: ['localhost'], ips: ['127.0.0.1'] });
    expect(() => ca.verifyPeer(server.certificatePem)).toThrow(expect.objectContaining({ why: expect.stringMatching(/names no node/) }));
    expect(() => ca.verifyPeer('garbage')).toThrow(expect.objectContaining({ code: 'HVS-PKI-PEER-UNTRUSTED' }));
  });
});

describe('issueServerCert, needsRenewal, expiresIn', () => {
  it('gives the controller controller.hvs plus its names, a chain ending in the CA, and a key not written to disk', async () => {
    const d = dataDir();
    const ca = await ClusterCa.loadOrCreate(d);
    const s = await ca.issueServerCert({ dns: ['ctl.example'], ips: ['127.0.0.1', '::1'] });
    const cert = new X509Certificate(s.certificatePem);
    expect(cert.subject).toBe('CN=hvs-controller');
    expect(cert.subjectAltName).toBe('DNS:controller.hvs, DNS:ctl.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(s.chainPem.endsWith(ca.certificatePem)).toBe(true);
    expect(s.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(fs.readdirSync(path.join(d, 'pki')).sort()).toEqual(['ca.crt', 'ca.key']);
  });

  it('renews after 2/3 of the validity (or the fraction given) and reports the time left', async () => {
    const start = Date.parse('2030-01-01T00:00:00Z');
    const ca = await ClusterCa.loadOrCreate(dataDir(), { now: () => start });
    const { certPem } = await nodeIdentity(ca, 'n1');
    // Validity runs from start - 5 min (skew allowance) to start + 90 days.
    const total = 90 * DAY + 5 * 60_000;
    const renewAt = start - 5 * 60_000 + (total * 2) / 3;
    expect(needsRenewal(certPem, renewAt - 1000)).toBe(false);
    expect(needsRenewal(certPem, renewAt + 1000)).toBe(true);
    expect(needsRenewal(certPem, start + 10 * DAY, 0.1)).toBe(true);
    expect(expiresIn(certPem, start)).toBe(90 * DAY);
    expect(expiresIn(certPem, start + 91 * DAY)).toBe(-DAY);
  });
});
