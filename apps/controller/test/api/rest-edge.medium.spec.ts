/**
 * The HTTP port's edge against whole controllers and real etcd, over real TLS handshakes:
 * TLS beyond loopback (cluster certificate by default, an operator's on request), the Host
 * list, the Origin check and CORS, exact content types, VM actions that need a JSON body,
 * and the separate health listener. Every refusal is checked to have changed nothing.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { healthAddress, listeningAddress } from '../../src/app';
import { ClusterCa } from '../../src/pki';
import { vmYaml } from '../services/manifests';
import { seedNetwork, startController, type ControllerUnderTest } from './controller-under-test';
import { restFailure, restFetch, type RestInit } from './rest-fetch';

jest.setTimeout(60_000);

let etcd: EtcdInstance;
/** HVS_HTTP_LISTEN=0.0.0.0:0, nothing else: TLS with the cluster CA's certificate. */
let ctl: ControllerUnderTest;
/** Loopback with HVS_HTTP_TLS=on and an operator's certificate (another CA), one allowed origin, a health listener. */
let op: ControllerUnderTest;
let opCa: string;
let dir: string;

const JSON_TYPE = { 'content-type': 'application/json' };
const yamlApply = (name: string, headers: Record<string, string>, extra: RestInit = {}): RestInit => ({ method: 'POST', headers, body: vmYaml(name), ...extra });
const exists = async (c: ControllerUnderTest, name: string) => (await c.rest(`/vm/${name}`)).status !== 404;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hvs-rest-edge-'));
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint, { HVS_HTTP_LISTEN: '0.0.0.0:0' });
  await seedNetwork(ctl);
  // An operator's certificate from a CA the cluster does not know (as a public CA's would be).
  const other = await ClusterCa.loadOrCreate(join(dir, 'other-ca'));
  const issued = await other.issueServerCert({ dns: ['api.example.test'], ips: ['127.0.0.1'] });
  opCa = other.certificatePem;
  writeFileSync(join(dir, 'api.crt'), issued.chainPem);
  writeFileSync(join(dir, 'api.key'), issued.privateKeyPem, { mode: 0o600 });
  op = await startController(etcd.endpoint, {
    HVS_HTTP_TLS: 'on', HVS_HTTP_TLS_CERT_FILE: join(dir, 'api.crt'), HVS_HTTP_TLS_KEY_FILE: join(dir, 'api.key'),
    HVS_HTTP_ALLOWED_ORIGINS: 'https://console.example.test', HVS_HEALTH_LISTEN: '127.0.0.1:0',
  });
});
afterAll(async () => {
  await ctl?.close();
  await op?.close();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS on the HTTP port', () => {
  it('beyond loopback it speaks TLS with the cluster CA\'s server certificate, the one gRPC presents', async () => {
    expect(listeningAddress(ctl.app).host).toBe('0.0.0.0');
    expect(ctl.http).toMatch(/^https:/);
    const r = await ctl.rest('/vms');
    expect(r.status).toBe(200);
    expect(r.peer?.raw.equals(new X509Certificate(ctl.pki.server.certificatePem).raw)).toBe(true);
    // Plain HTTP gets no answer, and a client that does not trust the cluster CA refuses the handshake.
    await restFailure(ctl.http.replace('https:', 'http:') + '/vms');
    expect((await restFailure(`${ctl.http}/vms`, { ca: opCa })).message).toMatch(/certificate/i);
  });

  it('serves the operator\'s certificate when one is configured; the cluster CA does not verify it', async () => {
    const r = await op.rest('/vms', { ca: opCa });
    expect(r.status).toBe(200);
    expect(r.peer?.subjectaltname).toContain('DNS:api.example.test');
    expect((await restFailure(`${op.http}/vms`, { ca: op.pki.ca.certificatePem })).message).toMatch(/certificate/i);
  });
});

describe('Host check (DNS rebinding)', () => {
  it.each([['evil.example'], ['evil.example:443'], ['127.0.0.1.evil.example'], ['127.0.0.1@evil.example']])('Host %j is refused 421 HVS-API-HOST-NOT-ALLOWED, and an apply through it writes nothing', async (host) => {
    const got = await ctl.rest('/vms', { headers: { host } });
    expect(got).toMatchObject({ status: 421, body: { code: 'HVS-API-HOST-NOT-ALLOWED', fix: expect.stringContaining('HVS_HTTP_ALLOWED_HOSTS') } });
    const applied = await ctl.rest('/apply', yamlApply('rebound-1', { host, 'content-type': 'application/yaml' }));
    expect(applied.status).toBe(421);
    expect(await exists(ctl, 'rebound-1')).toBe(false);
  });

  it('loopback names, the certificate\'s names and any port are allowed by default', async () => {
    for (const host of ['localhost:1', '127.0.0.1', '[::1]:7480', 'controller.hvs', 'LOCALHOST']) {
      expect((await ctl.rest('/vms', { headers: { host } })).status).toBe(200);
    }
    // The operator's certificate names api.example.test, so that name is allowed there.
    expect((await op.rest('/vms', { ca: opCa, headers: { host: 'api.example.test:8443' } })).status).toBe(200);
  });
});

describe('Origin check (cross-site requests)', () => {
  it('a request from another origin is 403 HVS-API-ORIGIN-NOT-ALLOWED with no CORS headers and writes nothing', async () => {
    const r = await ctl.rest('/apply', yamlApply('csrf-1', { origin: 'https://evil.example', 'content-type': 'application/yaml' }));
    expect(r).toMatchObject({ status: 403, body: { code: 'HVS-API-ORIGIN-NOT-ALLOWED', category: 'PermissionDenied' } });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect((await ctl.rest('/vms', { headers: { origin: 'null' } })).status).toBe(403);
    expect(await exists(ctl, 'csrf-1')).toBe(false);
  });

  it.each([
    ['application/x-www-form-urlencoded', 'a=1'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'],
    ['text/plain', vmYaml('form-1')],
  ])('a cross-origin HTML form post (%s) is refused before any service, with or without Origin', async (type, body) => {
    const withOrigin = await ctl.rest('/apply', { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': type }, body });
    expect(withOrigin.status).toBe(403);
    const fetchMetadataOnly = await ctl.rest('/apply', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site', 'content-type': type }, body });
    expect(fetchMetadataOnly).toMatchObject({ status: 403, body: { code: 'HVS-API-ORIGIN-NOT-ALLOWED' } });
    expect(await exists(ctl, 'form-1')).toBe(false);
  });

  it('a preflight from an origin that is not configured is refused without CORS headers', async () => {
    const r = await ctl.rest('/vms/x/stop', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(r.status).toBe(403);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('the port\'s own origin passes without CORS headers', async () => {
    const self = `https://127.0.0.1:${listeningAddress(ctl.app).port}`;
    const r = await ctl.rest('/apply', yamlApply('same-1', { origin: self, 'sec-fetch-site': 'same-origin', 'content-type': 'application/yaml' }));
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a configured origin gets a preflight answer and CORS headers naming it, and only it', async () => {
    const origin = 'https://console.example.test';
    const pre = await op.rest('/vms/x/stop', { ca: opCa, method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers).toMatchObject({ 'access-control-allow-origin': origin, 'access-control-allow-headers': expect.stringContaining('authorization'), vary: 'Origin' });
    const r = await op.rest('/apply', { ca: opCa, ...yamlApply('cors-1', { origin, 'sec-fetch-site': 'cross-site', 'content-type': 'application/yaml' }) });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(origin);
    const other = await op.rest('/vms', { ca: opCa, headers: { origin: 'https://console.example.test:8443' } });
    expect(other.status).toBe(403);
  });
});

describe('content types', () => {
  it.each([
    ['text/plain'], ['text/plain-evil'], ['application/x-yaml-evil'], ['application/x-yaml'], ['text/yaml'], ['application/yaml-evil'],
    ['application/jsonx'], ['application/yaml; charset=utf-16'], ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x'], [undefined],
  ])('a body typed %j is 415 HVS-API-CONTENT-TYPE-UNSUPPORTED and writes nothing', async (type) => {
    const r = await ctl.rest('/apply', yamlApply('typed-1', type === undefined ? {} : { 'content-type': type }));
    expect(r).toMatchObject({ status: 415, body: { code: 'HVS-API-CONTENT-TYPE-UNSUPPORTED', fix: expect.stringContaining('application/json') } });
    expect(await exists(ctl, 'typed-1')).toBe(false);
  });

  it('application/yaml and application/json are accepted, with a utf-8 charset too', async () => {
    expect((await ctl.rest('/apply', yamlApply('typed-2', { 'content-type': 'Application/YAML; charset="UTF-8"' }))).status).toBe(200);
    const json = await ctl.rest('/apply', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ documents: [{ content: vmYaml('typed-3') }] }) });
    expect(json.status).toBe(200);
    expect(await exists(ctl, 'typed-2')).toBe(true);
    expect(await exists(ctl, 'typed-3')).toBe(true);
  });
});

describe('VM actions need a JSON body', () => {
  const runState = async () => (await ctl.rest('/vm/act-1')).body.spec.runState as string | undefined;

  it.each([
    ['no body', {}, 415],
    ['text/plain {}', { headers: { 'content-type': 'text/plain' }, body: '{}' }, 415],
    ['application/yaml {}', { headers: { 'content-type': 'application/yaml' }, body: '{}' }, 415],
    ['an empty JSON body', { headers: JSON_TYPE, body: '' }, 400],
    ['a JSON array', { headers: JSON_TYPE, body: '[]' }, 400],
    ['an unknown field', { headers: JSON_TYPE, body: '{"force":true}' }, 400],
  ])('stop with %s is refused and the VM keeps running', async (_what, init, status) => {
    await ctl.rest('/apply', yamlApply('act-1', { 'content-type': 'application/yaml' }));
    const before = await runState();
    const r = await ctl.rest('/vms/act-1/stop', { method: 'POST', ...(init as RestInit) });
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(status === 415 ? 'HVS-API-CONTENT-TYPE-UNSUPPORTED' : 'HVS-API-BODY-INVALID');
    expect(await runState()).toBe(before);
  });

  it('stop with {} as application/json works; migrate and cancel without a body are 415', async () => {
    await ctl.rest('/apply', yamlApply('act-1', { 'content-type': 'application/yaml' }));
    const r = await ctl.rest('/vms/act-1/stop', { method: 'POST', headers: JSON_TYPE, body: '{}' });
    expect(r).toMatchObject({ status: 200, body: { results: [{ name: 'act-1', ok: true }] } });
    expect(await runState()).toBe('Stopped');
    expect((await ctl.rest('/vms/act-1/migrate', { method: 'POST' })).status).toBe(415);
    expect((await ctl.rest('/migrations/m-1/cancel', { method: 'POST' })).status).toBe(415);
  });
});

describe('health listener (HVS_HEALTH_LISTEN)', () => {
  it('serves /healthz, /readyz and /metrics over plain HTTP with any Host, and nothing of the API', async () => {
    const h = healthAddress(op.app)!;
    const base = `http://127.0.0.1:${h.port}`;
    expect((await restFetch(`${base}/healthz`, { headers: { host: '10.9.9.9:80' } })).body).toEqual({ status: 'ok' });
    const api = await restFetch(`${base}/api/v1/vms`);
    expect(api).toMatchObject({ status: 404, body: { code: 'HVS-API-ROUTE-NOT-FOUND' } });
    expect((await restFetch(`${base}/api/v1/apply`, { method: 'POST', headers: JSON_TYPE, body: '{}' })).status).toBe(404);
    // Refusals on the API port are counted there.
    await op.rest('/vms', { ca: opCa, headers: { host: 'evil.example' } });
    expect((await restFetch(`${base}/metrics`)).text).toMatch(/hvs_api_requests_total\{transport="rest",method="refused",code="421"\} [1-9]/);
    expect(healthAddress(ctl.app)).toBeUndefined();
  });
});

describe('certificate renewal', () => {
  it('the HTTP port follows the cluster certificate\'s renewal: the next handshake presents the new one', async () => {
    const next = await ctl.pki.ca.issueServerCert({ dns: ['localhost'], ips: ['127.0.0.1'] });
    ctl.pki.servingTls.update({ certPem: next.chainPem, keyPem: next.privateKeyPem });
    // Not /vms: other controllers of this file wrote VMs with their own encryption keys (one etcd, several key files).
    const r = await ctl.rest('/identity/whoami');
    expect([r.status, r.status === 200 ? '' : r.text]).toEqual([200, '']);
    expect(r.peer?.raw.equals(new X509Certificate(next.certificatePem).raw)).toBe(true);
  });
});
