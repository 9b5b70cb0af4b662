/**
 * Secrets end to end on a real etcd and the real controller: values never in etcd's raw keys
 * and values (nor their base64), redacted on every read, revealed only to secrets.reveal
 * (audited), and key rotation re-encrypts every value and retires the old key.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isHvsError } from '@hvs/domain';
import { fromProtoObject } from '@hvs/proto';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { EtcdBackend } from '../../src/backend/etcd-backend';
import { ANONYMOUS, type Principal } from '../../src/identity';
import { AuditService } from '../../src/audit';
import { AdminService, contextFor, ResourceService } from '../../src/services';
import { envelopeKeyId, isEnvelope, reencryptAll, type ValueTransformer } from '../../src/store';
import { NETWORK_YAML } from '../services/manifests';
import { call, documents, startController, type ControllerUnderTest } from '../api/controller-under-test';

jest.setTimeout(60_000);

const viewer: Principal = { kind: 'user', name: 'v', role: 'viewer', via: 'token' };
const operator: Principal = { kind: 'user', name: 'o', role: 'operator', via: 'token' };
const admin: Principal = { kind: 'user', name: 'a', role: 'admin', via: 'certificate' };

const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const USER_DATA_SECRET = `ud-${randomBytes(12).toString('hex')}`;
const NET_SECRET = `nc-${randomBytes(12).toString('hex')}`;

const SECRET_YAML = (password: string) => `apiVersion: hvs/v1
kind: Secret
metadata:
  name: db-creds
spec:
  data:
    password: ${password}
    user: app
`;
const VM_YAML = `apiVersion: hvs/v1
kind: VirtualMachine
metadata:
  name: web-1
spec:
  cpu:
    cores: 1
  memory:
    size: 512MiB
  disks:
    - name: os
      size: 10GiB
  networks:
    - name: eth0
      network: lan
  cloudInit:
    userData: "#cloud-config\\npassword: ${USER_DATA_SECRET}\\n"
    networkConfig: "version: 2 # ${NET_SECRET}"
    secretRefs: [db-creds]
`;

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
let resources: ResourceService;

const apply = (yaml: string) => call(ctl.resources, ctl.resources.apply, { documents: documents(yaml), dryRun: false, fieldManager: '', pruneSelector: '' });

/** Every key and value in etcd, raw. */
async function rawEtcd(): Promise<{ key: Buffer; value: Buffer }[]> {
  const conn = ctl.app.get(EtcdBackend).connection;
  const res = await conn.call((o) => conn.client.kv.range({ key: Buffer.from([0]), range_end: Buffer.from([0]) }, o));
  return res.kvs.map((kv) => ({ key: kv.key, value: kv.value }));
}

function traces(plain: string): Buffer[] {
  return [Buffer.from(plain), Buffer.from(Buffer.from(plain).toString('base64')), Buffer.from(Buffer.from(plain).toString('base64url')), Buffer.from(Buffer.from(plain).toString('hex'))];
}

async function expectNoTrace(...values: string[]): Promise<void> {
  const kvs = await rawEtcd();
  expect(kvs.length).toBeGreaterThan(2);
  for (const { key, value } of kvs) {
    for (const v of values) for (const t of traces(v)) {
      expect({ key: key.toString(), found: key.includes(t) || value.includes(t) }).toEqual({ key: key.toString(), found: false });
    }
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isHvsError(e) ? e.code : String(e);
  }
}

beforeAll(async () => {
  etcd = await startEtcd();
  // debug: every line the controller can log is checked for values below.
  ctl = await startController(etcd.endpoint, { HVS_LOG_LEVEL: 'debug' });
  resources = ctl.app.get(ResourceService);
  await apply(NETWORK_YAML);
  await apply(SECRET_YAML(PASSWORD));
  await apply(VM_YAML);
});
afterAll(async () => {
  await ctl?.close();
  await etcd?.stop();
});

describe('Secrets at rest', () => {
  it('no raw etcd key or value holds a Secret value or inline cloud-init, nor their base64 or hex', async () => {
    await expectNoTrace(PASSWORD, USER_DATA_SECRET, NET_SECRET);
    const secret = (await rawEtcd()).find((kv) => kv.key.toString() === '/hvs/v1/secret/db-creds');
    expect(secret && isEnvelope(secret.value)).toBe(true);
  });

  it('the key file is 0600 and holds a key id that names every encrypted value', async () => {
    const ring = ctl.app.get(EtcdBackend).transformer.ring;
    const { statSync } = await import('node:fs');
    expect(statSync(ring.file).mode & 0o777).toBe(0o600);
    const sealed = (await rawEtcd()).filter((kv) => /^\/hvs\/v1\/(secret|virtualmachine)\//.test(kv.key.toString()));
    expect(sealed.map((kv) => envelopeKeyId(kv.value, kv.key.toString()))).toEqual(sealed.map(() => ring.primary().id));
  });
});

describe('Secrets on the API', () => {
  it('gRPC Get and List and REST GET show redacted values, the keys still visible', async () => {
    const got = fromProtoObject(await call(ctl.resources, ctl.resources.get, { kind: 'Secret', name: 'db-creds', reveal: false }));
    expect(got.spec).toEqual({ data: { password: '(redacted)', user: '(redacted)' } });
    const listed = await call(ctl.resources, ctl.resources.list, { kind: 'VirtualMachine', labelSelector: '', limit: 0, continueToken: '' });
    const vm = fromProtoObject(listed.items[0]!) as { spec: { cloudInit: unknown } };
    expect(vm.spec.cloudInit).toEqual({ userData: '(redacted)', networkConfig: '(redacted)', secretRefs: ['db-creds'] });
    // The admin token: even a caller allowed to reveal sees redacted values unless it asks.
    const rest = await (await ctl.fetch(`${ctl.http}/secrets/db-creds`)).text();
    const restVm = await (await ctl.fetch(`${ctl.http}/virtualmachines`)).text();
    expect(JSON.parse(rest).spec.data).toEqual({ password: '(redacted)', user: '(redacted)' });
    for (const text of [rest, restVm, JSON.stringify(got), JSON.stringify(listed)]) expect(text).not.toMatch(new RegExp(`${PASSWORD}|${USER_DATA_SECRET}|${NET_SECRET}`));
  });

  it('REST ?reveal=1: 401 without a credential, 403 for a viewer, plain text for an admin', async () => {
    const anon = await fetch(`${ctl.http}/secrets/db-creds?reveal=1`);
    expect(anon.status).toBe(401);
    const viewerToken = await ctl.tokenFor('rest-viewer', 'viewer');
    const asViewer = await fetch(`${ctl.http}/secrets/db-creds?reveal=1`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(asViewer.status).toBe(403);
    for (const r of [anon, asViewer]) expect(await r.text()).not.toContain(PASSWORD);
    const asAdmin = await ctl.fetch(`${ctl.http}/secrets/db-creds?reveal=1`);
    expect(asAdmin.status).toBe(200);
    expect(((await asAdmin.json()) as { spec: { data: { password: string } } }).spec.data.password).toBe(PASSWORD);
  });

  it('gRPC Get with reveal over the real transport: the admin certificate gets plain text', async () => {
    const got = fromProtoObject(await call(ctl.resources, ctl.resources.get, { kind: 'Secret', name: 'db-creds', reveal: true }));
    expect(got.spec).toEqual({ data: { password: PASSWORD, user: 'app' } });
  });

  it('a watch carries redacted values', async () => {
    const stream = resources.watch('Secret', {}, contextFor(admin));
    const first = (async () => {
      for await (const ev of stream) return ev;
      return undefined;
    })();
    await apply(SECRET_YAML(`${PASSWORD}-2`));
    const ev = await first;
    await stream.close();
    expect(JSON.stringify(ev)).not.toContain(PASSWORD);
    expect((ev?.object.spec as { data: unknown }).data).toEqual({ password: '(redacted)', user: '(redacted)' });
    await apply(SECRET_YAML(PASSWORD));
  });

  it('reveal: a viewer and an operator are refused, an admin gets plain text; every reveal is audited', async () => {
    expect(await codeOf(resources.get('Secret', 'db-creds', contextFor(viewer), { reveal: true }))).toBe('HVS-AUTH-FORBIDDEN');
    expect(await codeOf(resources.get('Secret', 'db-creds', contextFor(operator), { reveal: true }))).toBe('HVS-AUTH-FORBIDDEN');
    expect(await codeOf(resources.get('Secret', 'db-creds', contextFor(ANONYMOUS), { reveal: true }))).toBe('HVS-AUTH-UNAUTHENTICATED');
    const plain = await resources.get('Secret', 'db-creds', contextFor(admin), { reveal: true });
    expect((plain.spec as { data: Record<string, string> }).data.password).toBe(PASSWORD);
    const vm = await resources.get('VirtualMachine', 'web-1', contextFor(admin), { reveal: true });
    expect(JSON.stringify(vm.spec)).toContain(USER_DATA_SECRET);
    const records = (await ctl.app.get(AuditService).list({ operation: 'reveal' })).records;
    const seen = records.map((r) => [r.actor, r.kind, r.name, r.result]);
    expect(seen).toEqual(expect.arrayContaining([['user:a', 'Secret', 'db-creds', 'ok'], ['user:a', 'VirtualMachine', 'web-1', 'ok'], ['user:admin', 'Secret', 'db-creds', 'ok']]));
    expect(seen.filter(([actor]) => actor === 'user:v' || actor === 'user:o' || actor === 'user:rest-viewer')).toEqual([]);
    expect(JSON.stringify(records)).not.toContain(PASSWORD);
  });

  it('plan never shows a Secret value', async () => {
    const plan = await call(ctl.resources, ctl.resources.plan, { documents: documents(SECRET_YAML('changed-value-xyz')), fieldManager: '', pruneSelector: '' });
    expect(JSON.stringify(plan)).not.toMatch(new RegExp(`${PASSWORD}|changed-value-xyz`));
  });
});

describe('Secrets in logs', () => {
  it('no controller log line (debug level) holds a value, its base64 or hex', () => {
    const text = ctl.logText();
    expect(text.length).toBeGreaterThan(0);
    for (const v of [PASSWORD, USER_DATA_SECRET, NET_SECRET]) for (const t of traces(v)) expect(text.includes(t.toString())).toBe(false);
  });
});

describe('Key rotation', () => {
  it('only secrets.rotate may rotate', async () => {
    expect(await codeOf(ctl.app.get(AdminService).rotateEncryptionKey(contextFor(operator)))).toBe('HVS-AUTH-FORBIDDEN');
  });

  it('a crash mid-way leaves every value readable, and the next rotation finishes: all under the new key, old keys retired', async () => {
    const backend = ctl.app.get(EtcdBackend);
    const ring = backend.transformer.ring;
    const first = ring.primary().id;
    // A rotation that dies after re-sealing one value (a fault knob on our own interface).
    ring.beginRotation();
    let left = 1;
    const dying: ValueTransformer = Object.assign(Object.create(backend.transformer) as ValueTransformer, {
      toStorage: (key: string, plain: string) => {
        if (left-- <= 0) throw new Error('controller crashed');
        return backend.transformer.toStorage(key, plain);
      },
    });
    await expect(reencryptAll(backend.connection, dying, 1)).rejects.toThrow('controller crashed');
    const ids = (await rawEtcd()).filter((kv) => isEnvelope(kv.value)).map((kv) => envelopeKeyId(kv.value, kv.key.toString()));
    expect(new Set(ids).size).toBe(2);
    expect((await resources.get('Secret', 'db-creds', contextFor(admin), { reveal: true })).spec).toEqual({ data: { password: PASSWORD, user: 'app' } });

    const r = await ctl.app.get(AdminService).rotateEncryptionKey(contextFor(admin));
    expect(r.retired.sort()).toEqual([first, ...ring.retiredIds().filter((id) => id !== first)].sort());
    expect(r.retired).toHaveLength(2);
    const sealed = (await rawEtcd()).filter((kv) => isEnvelope(kv.value));
    expect(sealed.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sealed.map((kv) => envelopeKeyId(kv.value, kv.key.toString())))).toEqual(new Set([r.keyId]));
    const file = JSON.parse(readFileSync(ring.file, 'utf8')) as { keys: { id: string }[]; retired: { id: string }[] };
    expect(file.keys.map((k) => k.id)).toEqual([r.keyId]);
    expect(file.retired.map((k) => k.id)).toEqual(expect.arrayContaining(r.retired));
    expect((await resources.get('Secret', 'db-creds', contextFor(admin), { reveal: true })).spec).toEqual({ data: { password: PASSWORD, user: 'app' } });
    expect((await resources.get('VirtualMachine', 'web-1', contextFor(admin), { reveal: true })).spec).toMatchObject({ cloudInit: { secretRefs: ['db-creds'] } });
    await expectNoTrace(PASSWORD, USER_DATA_SECRET, NET_SECRET);
    const audit = (await ctl.app.get(AuditService).list({ operation: 'rotate-encryption-key' })).records;
    expect(audit.map((a) => [a.actor, a.result])).toEqual([['user:a', 'ok']]);
  });
});
