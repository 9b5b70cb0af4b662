/**
 * The etcd client TLS settings (HVS_ETCD_CA_FILE/CERT_FILE/KEY_FILE): checked together at
 * start with coded errors that never show a key's bytes, and read into the etcd3 credentials.
 * Real PEM files in a temp dir; the handshake itself is proven against a real etcd in
 * test/local-etcd-auth.medium.spec.ts.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, readEtcdCredentials } from '../../src/config';
import { TestCa, tempDirs, thrown } from '../../../../libs/pki/test/support';

const temp = tempDirs('hvs-etcd-tls-');
let dir: string;
let files: { ca: string; cert: string; key: string; otherKey: string };
let keyPem: string;

beforeAll(async () => {
  dir = temp();
  const ca = await TestCa.create();
  const id = await ca.identity('CN=hvs-controller', []);
  const other = await ca.identity('CN=someone-else', []);
  keyPem = id.keyPem;
  files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'c.crt'), key: join(dir, 'c.key'), otherKey: join(dir, 'o.key') };
  writeFileSync(files.ca, ca.pem);
  writeFileSync(files.cert, id.certPem);
  writeFileSync(files.key, id.keyPem, { mode: 0o600 });
  writeFileSync(files.otherKey, other.keyPem, { mode: 0o600 });
});

const tlsEnv = (extra: Record<string, string> = {}) => ({
  HVS_DATA_DIR: dir, HVS_ETCD_ENDPOINTS: 'https://localhost:12379', HVS_ETCD_CA_FILE: files.ca, HVS_ETCD_CERT_FILE: files.cert, HVS_ETCD_KEY_FILE: files.key, ...extra,
});
const codes = (f: () => unknown) => thrown(f).problems.map((p) => p.code);

describe('etcd client TLS settings', () => {
  it('unset: no credentials, the client connects as before', () => {
    const c = loadConfig({ HVS_DATA_DIR: dir });
    expect(c.etcdCaFile).toBeUndefined();
    expect(readEtcdCredentials(c)).toBeUndefined();
  });

  it('a sound set is read into the etcd3 credentials; only paths are in the config and its log form', () => {
    const c = loadConfig(tlsEnv());
    expect(c).toMatchObject({ etcdCaFile: files.ca, etcdCertFile: files.cert, etcdKeyFile: files.key });
    const cred = readEtcdCredentials(c)!;
    expect(cred.privateKey!.toString()).toBe(keyPem);
    expect(cred.rootCertificate.toString()).toContain('BEGIN CERTIFICATE');
    expect(JSON.stringify(c.toLog())).not.toContain(keyPem.split('\n')[1]);
    // A CA alone: server-verified TLS without a client certificate.
    expect(readEtcdCredentials(loadConfig(tlsEnv({ HVS_ETCD_CERT_FILE: '', HVS_ETCD_KEY_FILE: '' })))).toEqual({ rootCertificate: cred.rootCertificate });
  });

  it('refuses half a pair, a pair without a CA, and plain http:// endpoints, all at once', () => {
    expect(codes(() => loadConfig(tlsEnv({ HVS_ETCD_KEY_FILE: '' })))).toEqual(['HVS-CONFIG-ETCD-KEY-FILE-INVALID']);
    expect(codes(() => loadConfig(tlsEnv({ HVS_ETCD_CERT_FILE: '' })))).toEqual(['HVS-CONFIG-ETCD-CERT-FILE-INVALID']);
    const e = thrown(() => loadConfig(tlsEnv({ HVS_ETCD_CA_FILE: '', HVS_ETCD_ENDPOINTS: 'https://a:2379,http://b:2379' })));
    expect(e.problems.map((p) => p.code)).toEqual(['HVS-CONFIG-ETCD-CA-FILE-INVALID', 'HVS-CONFIG-ETCD-ENDPOINTS-INVALID']);
    expect(e.problems[1]).toMatchObject({ message: expect.stringContaining('http://b:2379'), fix: expect.stringContaining('https://') });
    expect(e.fix).toContain('etcd-tls/ca.crt');
  });

  it('refuses a missing file, a non-PEM file, a key others can read and a key of another certificate, never echoing key bytes', () => {
    expect(thrown(() => loadConfig(tlsEnv({ HVS_ETCD_CA_FILE: join(dir, 'nope.crt') }))).problems[0]).toMatchObject({
      code: 'HVS-CONFIG-ETCD-CA-FILE-INVALID', why: 'it cannot be read (ENOENT)',
    });
    expect(codes(() => loadConfig(tlsEnv({ HVS_ETCD_CERT_FILE: files.key })))).toEqual(['HVS-CONFIG-ETCD-CERT-FILE-INVALID']);
    const notKeyFile = join(dir, 'cert-as.key');
    writeFileSync(notKeyFile, readFileSync(files.ca), { mode: 0o600 });
    const notKey = thrown(() => loadConfig(tlsEnv({ HVS_ETCD_KEY_FILE: notKeyFile }))).problems;
    expect(notKey).toMatchObject([{ code: 'HVS-CONFIG-ETCD-KEY-FILE-INVALID', why: 'it is not a PEM private key' }]);
    const wrong = thrown(() => loadConfig(tlsEnv({ HVS_ETCD_KEY_FILE: files.otherKey })));
    expect(wrong).toMatchObject({ code: 'HVS-CONFIG-ETCD-KEY-FILE-INVALID', why: `it is not the key of the certificate ${files.cert}` });
    chmodSync(files.key, 0o644);
    try {
      const open = thrown(() => loadConfig(tlsEnv()));
      expect(open).toMatchObject({ code: 'HVS-CONFIG-ETCD-KEY-FILE-INVALID', why: expect.stringContaining('mode 0644'), fix: `chmod 600 ${files.key}; see docs/controller-config.md and docs/troubleshooting.md ("etcd refuses the controller")` });
      for (const text of [wrong, open, thrown(() => loadConfig(tlsEnv({ HVS_ETCD_CERT_FILE: files.key })))].map((x) => JSON.stringify(x.problems))) {
        expect(text).not.toContain(keyPem.split('\n')[1]);
      }
    } finally {
      chmodSync(files.key, 0o600);
    }
    expect(codes(() => loadConfig(tlsEnv({ HVS_ETCD_CA_FILE: 'relative/ca.crt' })))).toEqual(['HVS-CONFIG-ETCD-CA-FILE-INVALID']);
  });
});
