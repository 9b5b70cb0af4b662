/** The HTTP edge's settings: TLS beyond loopback, the operator's certificate and key, allowed hosts and origins (loadConfig, coded problems). */
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HvsError } from '@hvs/domain';
import { isLoopbackHost, loadConfig, servesTls } from '../../src/config';
import { ClusterCa } from '../../src/pki';

let dir: string;
let cert: string;
let key: string;
let otherKey: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hvs-http-edge-'));
  const ca = await ClusterCa.loadOrCreate(join(dir, 'ca'));
  const a = await ca.issueServerCert({ dns: ['api.example.test'] });
  const b = await ca.issueServerCert({ dns: ['other.example.test'] });
  [cert, key, otherKey] = [join(dir, 'a.crt'), join(dir, 'a.key'), join(dir, 'b.key')];
  writeFileSync(cert, a.chainPem);
  writeFileSync(key, a.privateKeyPem, { mode: 0o600 });
  writeFileSync(otherKey, b.privateKeyPem, { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ HVS_DATA_DIR: dir, ...env });
  } catch (e) {
    if (e instanceof HvsError) return e.problems.map((p) => `${p.code}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('HTTP edge settings', () => {
  it.each([['127.0.0.1', true], ['127.9.9.9', true], ['::1', true], ['localhost', true], ['::ffff:127.0.0.1', true], ['0.0.0.0', false], ['::', false], ['10.0.0.5', false], ['ctl.example.com', false]])(
    'isLoopbackHost(%s) is %s', (host, loopback) => expect(isLoopbackHost(host)).toBe(loopback));

  it('auto speaks TLS exactly beyond loopback; on always; off never, and off beyond loopback is refused', () => {
    expect(servesTls(loadConfig({ HVS_DATA_DIR: dir }))).toBe(false);
    expect(servesTls(loadConfig({ HVS_DATA_DIR: dir, HVS_HTTP_LISTEN: '0.0.0.0:17480' }))).toBe(true);
    expect(servesTls(loadConfig({ HVS_DATA_DIR: dir, HVS_HTTP_TLS: 'on' }))).toBe(true);
    expect(servesTls(loadConfig({ HVS_DATA_DIR: dir, HVS_HTTP_TLS: 'off' }))).toBe(false);
    for (const listen of ['0.0.0.0:17480', '[::]:17480', '10.0.0.5:17480', 'ctl.example.com:17480']) {
      expect(problems({ HVS_HTTP_TLS: 'off', HVS_HTTP_LISTEN: listen })).toEqual([expect.stringMatching(/^HVS-CONFIG-HTTP-TLS-REQUIRED: HVS_HTTP_LISTEN .* is not a loopback address/)]);
    }
    expect(problems({ HVS_HTTP_TLS: 'maybe' })).toEqual([expect.stringMatching(/^HVS-CONFIG-HTTP-TLS-INVALID/)]);
  });

  it('accepts a matching certificate and key, and keeps the lists as normalised values', () => {
    const c = loadConfig({
      HVS_DATA_DIR: dir, HVS_HTTP_LISTEN: '0.0.0.0:17480', HVS_HTTP_TLS_CERT_FILE: cert, HVS_HTTP_TLS_KEY_FILE: key,
      HVS_HTTP_ALLOWED_HOSTS: 'Ctl.Example.com, [::1], 10.0.0.5', HVS_HTTP_ALLOWED_ORIGINS: 'https://Console.example.com,http://localhost:3000', HVS_HEALTH_LISTEN: '0.0.0.0:7481',
    });
    expect(c).toMatchObject({
      httpTlsCertFile: cert, httpTlsKeyFile: key, httpAllowedHosts: ['ctl.example.com', '::1', '10.0.0.5'],
      httpAllowedOrigins: ['https://console.example.com', 'http://localhost:3000'], healthListen: { host: '0.0.0.0', port: 7481 },
    });
  });

  it('refuses a certificate without its key, a key that is not its, an unreadable file, a key others can read, and TLS off with a certificate', () => {
    expect(problems({ HVS_HTTP_TLS_CERT_FILE: cert })).toEqual([expect.stringMatching(/^HVS-CONFIG-HTTP-TLS-KEY-FILE-INVALID: HVS_HTTP_TLS_CERT_FILE is set without HVS_HTTP_TLS_KEY_FILE/)]);
    expect(problems({ HVS_HTTP_TLS_KEY_FILE: key })).toEqual([expect.stringMatching(/^HVS-CONFIG-HTTP-TLS-CERT-FILE-INVALID/)]);
    expect(problems({ HVS_HTTP_TLS_CERT_FILE: cert, HVS_HTTP_TLS_KEY_FILE: otherKey })).toEqual([expect.stringMatching(/^HVS-CONFIG-HTTP-TLS-KEY-FILE-INVALID: .* is not the key of /)]);
    expect(problems({ HVS_HTTP_TLS_CERT_FILE: join(dir, 'none.crt'), HVS_HTTP_TLS_KEY_FILE: key })).toEqual([expect.stringMatching(/^HVS-CONFIG-HTTP-TLS-CERT-FILE-INVALID: .* cannot be read/)]);
    expect(problems({ HVS_HTTP_TLS_CERT_FILE: key, HVS_HTTP_TLS_KEY_FILE: key })).toEqual([expect.stringMatching(/^HVS-CONFIG-HTTP-TLS-CERT-FILE-INVALID: .* holds no PEM certificate/)]);
    const open = join(dir, 'open.key');
    copyFileSync(key, open);
    chmodSync(open, 0o644);
    expect(problems({ HVS_HTTP_TLS_CERT_FILE: cert, HVS_HTTP_TLS_KEY_FILE: open })).toEqual([expect.stringMatching(/^HVS-CONFIG-HTTP-TLS-KEY-FILE-INVALID: .* is readable by other users/)]);
    expect(problems({ HVS_HTTP_TLS: 'off', HVS_HTTP_TLS_CERT_FILE: cert, HVS_HTTP_TLS_KEY_FILE: key })).toEqual([expect.stringMatching(/^HVS-CONFIG-HTTP-TLS-INVALID: HVS_HTTP_TLS is off but/)]);
  });

  it.each([
    ['HVS_HTTP_ALLOWED_HOSTS', 'ctl.example.com:7480', 'HVS-CONFIG-HTTP-ALLOWED-HOSTS-INVALID'],
    ['HVS_HTTP_ALLOWED_HOSTS', '*', 'HVS-CONFIG-HTTP-ALLOWED-HOSTS-INVALID'],
    ['HVS_HTTP_ALLOWED_HOSTS', 'a/b', 'HVS-CONFIG-HTTP-ALLOWED-HOSTS-INVALID'],
    ['HVS_HTTP_ALLOWED_ORIGINS', '*', 'HVS-CONFIG-HTTP-ALLOWED-ORIGINS-INVALID'],
    ['HVS_HTTP_ALLOWED_ORIGINS', 'null', 'HVS-CONFIG-HTTP-ALLOWED-ORIGINS-INVALID'],
    ['HVS_HTTP_ALLOWED_ORIGINS', 'https://console.example.com/app', 'HVS-CONFIG-HTTP-ALLOWED-ORIGINS-INVALID'],
    ['HVS_HTTP_ALLOWED_ORIGINS', 'https://console.example.com:443', 'HVS-CONFIG-HTTP-ALLOWED-ORIGINS-INVALID'],
    ['HVS_HTTP_ALLOWED_ORIGINS', 'console.example.com', 'HVS-CONFIG-HTTP-ALLOWED-ORIGINS-INVALID'],
    ['HVS_HEALTH_LISTEN', 'nope', 'HVS-CONFIG-HEALTH-LISTEN-INVALID'],
    ['HVS_HEALTH_LISTEN', '127.0.0.1:7480', 'HVS-CONFIG-HEALTH-LISTEN-INVALID'],
  ])('%s=%s is refused with %s', (name, value, code) => {
    expect(problems({ [name]: value })).toEqual([expect.stringMatching(new RegExp(`^${code}: `))]);
  });
});
