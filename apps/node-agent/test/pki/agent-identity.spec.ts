import * as fs from 'node:fs';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { AgentIdentity, expiresIn, needsRenewal, x509 } from '../../src/pki';
import { TestCa, modeOf, tempDirs, thrown } from './fixtures';

const stateDir = tempDirs('hvs-agent-pki-');

describe('AgentIdentity', () => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await TestCa.create();
  });

  it('makes a P-256 key 0600 in a 0700 pki dir once, and a CSR for its own name signed by it', async () => {
    const d = stateDir();
    const id = await AgentIdentity.loadOrCreate(d, 'host-1');
    expect(modeOf(path.join(d, 'pki'))).toBe(0o700);
    expect(modeOf(path.join(d, 'pki', 'node.key'))).toBe(0o600);
    expect(id.isJoined()).toBe(false);
    const csr = new x509.Pkcs10CertificateRequest(await id.createCsr());
    expect(csr.subject).toBe('CN=node:host-1');
    expect(await csr.verify()).toBe(true);
    const san = csr.getExtension('2.5.29.17') as x509.SubjectAlternativeNameExtension;
    expect(san.names.items.map((n) => `${n.type}:${n.value}`)).toEqual(['dns:host-1.node.hvs']);
    // A restart reuses the key: the next CSR carries the same public key.
    const again = await AgentIdentity.loadOrCreate(d, 'host-1');
    const csr2 = new x509.Pkcs10CertificateRequest(await again.createCsr());
    expect(Buffer.from(csr2.publicKey.rawData).equals(Buffer.from(csr.publicKey.rawData))).toBe(true);
  });

  it('stores a checked certificate and CA, and is joined after a restart', async () => {
    const d = stateDir();
    const id = await AgentIdentity.loadOrCreate(d, 'host-1');
    const certPem = await ca.signCsr(await id.createCsr(), 'host-1');
    const saved = id.saveIssued(certPem, ca.pem);
    expect(saved.caFingerprint).toBe(ca.fingerprint);
    expect(saved.expiresAt.getTime()).toBe(new Date(new X509Certificate(certPem).validTo).getTime());
    expect(fs.readdirSync(path.join(d, 'pki')).sort()).toEqual(['ca.crt', 'node.crt', 'node.key']);
    const again = await AgentIdentity.loadOrCreate(d, 'host-1');
    expect(again.isJoined()).toBe(true);
    expect(again.certificatePem).toBe(certPem);
    expect(needsRenewal(certPem)).toBe(false);
    expect(expiresIn(certPem)).toBeGreaterThan(89 * 86_400_000);
  });

  it('refuses a certificate for another name, another key or from another CA; and a stored identity under a new name', async () => {
    const d = stateDir();
    const id = await AgentIdentity.loadOrCreate(d, 'host-1');
    const otherHost = await AgentIdentity.loadOrCreate(stateDir(), 'host-2');
    const forHost2 = await ca.signCsr(await otherHost.createCsr(), 'host-2');
    expect(thrown(() => id.saveIssued(forHost2, ca.pem)).code).toBe('HVS-AGENT-IDENTITY-MISMATCH');
    const sameNameOtherKey = await AgentIdentity.loadOrCreate(stateDir(), 'host-1');
    const notOurKey = await ca.signCsr(await sameNameOtherKey.createCsr(), 'host-1');
    expect(thrown(() => id.saveIssued(notOurKey, ca.pem)).why).toMatch(/another key/);
    const otherCa = await TestCa.create();
    const good = await ca.signCsr(await id.createCsr(), 'host-1');
    expect(thrown(() => id.saveIssued(good, otherCa.pem)).code).toBe('HVS-JOIN-CERT-INVALID');
    expect(id.isJoined()).toBe(false);
    id.saveIssued(good, ca.pem);
    await expect(AgentIdentity.loadOrCreate(d, 'host-9')).rejects.toMatchObject({ code: 'HVS-AGENT-IDENTITY-MISMATCH' });
  });
});
