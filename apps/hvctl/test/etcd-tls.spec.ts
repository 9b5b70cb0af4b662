/**
 * The local etcd CA of `hvctl up` (src/local/etcd-tls.ts): files and modes, idempotence, and
 * renewal of the leaf certificates from the kept CA (so clients keep trusting the same CA).
 * Certificates only; etcd itself is in test/local-etcd-auth.medium.spec.ts.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import { ensureEtcdTls } from '../src/local/etcd-tls';
import { modeOf, tempDirs } from '../../../libs/pki/test/support';

const temp = tempDirs('hvctl-etcd-tls-');
const DAY = 86_400_000;
const read = (f: string) => fs.readFileSync(f, 'utf8');

describe('ensureEtcdTls', () => {
  it('makes a CA, a server certificate for 127.0.0.1/localhost and a client certificate; keys 0600 in a 0700 dir', async () => {
    const f = await ensureEtcdTls(temp());
    expect(modeOf(f.dir)).toBe(0o700);
    for (const k of [f.caKey, f.serverKey, f.clientKey]) expect(modeOf(k)).toBe(0o600);
    const ca = new X509Certificate(read(f.caCert));
    const server = new X509Certificate(read(f.serverCert));
    const client = new X509Certificate(read(f.clientCert));
    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey) && client.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(client.checkHost('localhost')).toBeUndefined();
    expect(server.checkPrivateKey(createPrivateKey(read(f.serverKey)))).toBe(true);
  });

  it('a second start changes nothing; past 2/3 of their life the leaves are re-issued by the same CA', async () => {
    const dir = temp();
    const f = await ensureEtcdTls(dir);
    const before = [f.caCert, f.caKey, f.serverCert, f.serverKey, f.clientCert, f.clientKey].map(read);
    await ensureEtcdTls(dir);
    expect([f.caCert, f.caKey, f.serverCert, f.serverKey, f.clientCert, f.clientKey].map(read)).toEqual(before);
    await ensureEtcdTls(dir, Date.now() + 250 * DAY);
    expect(read(f.caCert)).toBe(before[0]);
    expect(read(f.serverCert)).not.toBe(before[2]);
    expect(read(f.clientKey)).not.toBe(before[5]);
    expect(new X509Certificate(read(f.clientCert)).verify(new X509Certificate(before[0]!).publicKey)).toBe(true);
  });

  it('a lost CA key means a new CA and new leaves together, so etcd and its clients still agree', async () => {
    const dir = temp();
    const f = await ensureEtcdTls(dir);
    const oldCa = read(f.caCert);
    fs.rmSync(f.caKey);
    await ensureEtcdTls(dir);
    const ca = new X509Certificate(read(f.caCert));
    expect(read(f.caCert)).not.toBe(oldCa);
    expect(new X509Certificate(read(f.serverCert)).verify(ca.publicKey)).toBe(true);
    expect(new X509Certificate(read(f.clientCert)).verify(ca.publicKey)).toBe(true);
  });
});
