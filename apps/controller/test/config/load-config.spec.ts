import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HvsError } from '@hvs/domain';
import { FIELDS, loadConfig } from '../../src/config';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hvs-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function caught(f: () => unknown): HvsError {
  try {
    f();
  } catch (e) {
    if (e instanceof HvsError) return e;
    throw e;
  }
  throw new Error('expected an HvsError, nothing was thrown');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({ HVS_DATA_DIR: dir });
    expect(c).toMatchObject({
      etcdEndpoints: ['http://127.0.0.1:2379'],
      etcdMaxTxnOps: 128,
      redisUrl: 'redis://127.0.0.1:6379',
      grpcListen: { host: '127.0.0.1', port: 7443 },
      httpListen: { host: '127.0.0.1', port: 7480 },
      dataDir: dir,
      leaseTtlMs: 8000,
      heartbeatIntervalMs: 1000,
      haFenceAfterMs: 15_000,
      haRescheduleMarginMs: 5_000,
      auditRetentionDays: 90,
      imageMaxUploadBytes: 64 * 1024 ** 3,
      logLevel: 'info',
    });
    expect(c.imageUrlPrefixes).toBeUndefined();
    expect(c.replicaId).toMatch(new RegExp(`-${process.pid}$`));
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads every variable from the environment', () => {
    const c = loadConfig({
      HVS_DATA_DIR: dir,
      HVS_ETCD_ENDPOINTS: 'http://10.0.0.1:2379, 10.0.0.2:2379',
      HVS_ETCD_MAX_TXN_OPS: '1024',
      HVS_REDIS_URL: 'redis://:pw@10.0.0.3:6380/1',
      HVS_GRPC_LISTEN: '[::1]:0',
      HVS_HTTP_LISTEN: '0.0.0.0:8080',
      HVS_REPLICA_ID: 'ctl-a',
      HVS_LEASE_TTL: '10',
      HVS_HEARTBEAT_INTERVAL: '500ms',
      HVS_HA_FENCE_AFTER: '30s',
      HVS_HA_RESCHEDULE_MARGIN: '10s',
      HVS_AUDIT_RETENTION_DAYS: '30',
      HVS_LOG_LEVEL: 'debug',
    });
    expect(c).toMatchObject({
      etcdEndpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
      etcdMaxTxnOps: 1024,
      grpcListen: { host: '::1', port: 0 },
      httpListen: { host: '0.0.0.0', port: 8080 },
      replicaId: 'ctl-a',
      leaseTtlMs: 10_000,
      heartbeatIntervalMs: 500,
      haFenceAfterMs: 30_000,
      haRescheduleMarginMs: 10_000,
      auditRetentionDays: 30,
      logLevel: 'debug',
    });
    expect(c.toLog().redisUrl).toBe('redis://:***@10.0.0.3:6380/1');
    expect(JSON.stringify(c.toLog())).not.toContain('pw@');
  });

  it('reads a YAML file from --config, HVS_CONFIG or the file argument; the environment wins over the file', () => {
    const file = join(dir, 'controller.yaml');
    writeFileSync(file, `dataDir: ${dir}\netcdEndpoints: [http://e1:2379, http://e2:2379]\nleaseTtl: 12s\nlogLevel: warn\n`);
    for (const c of [loadConfig({}, ['--config', file]), loadConfig({}, [`--config=${file}`]), loadConfig({ HVS_CONFIG: file }), loadConfig({}, [], file)]) {
      expect(c).toMatchObject({ etcdEndpoints: ['http://e1:2379', 'http://e2:2379'], leaseTtlMs: 12_000, logLevel: 'warn', dataDir: dir, configFile: file });
    }
    expect(loadConfig({ HVS_LOG_LEVEL: 'error' }, [], file).logLevel).toBe('error');
  });

  it.each([
    ['HVS_ETCD_ENDPOINTS', 'ftp://x:1', 'HVS-CONFIG-ETCD-ENDPOINTS-INVALID'],
    ['HVS_ETCD_ENDPOINTS', 'http://user:pw@e1:2379', 'HVS-CONFIG-ETCD-ENDPOINTS-INVALID'],
    ['HVS_ETCD_MAX_TXN_OPS', '8', 'HVS-CONFIG-ETCD-MAX-TXN-OPS-INVALID'],
    ['HVS_ETCD_MAX_TXN_OPS', 'lots', 'HVS-CONFIG-ETCD-MAX-TXN-OPS-INVALID'],
    ['HVS_REDIS_URL', 'http://localhost', 'HVS-CONFIG-REDIS-URL-INVALID'],
    ['HVS_GRPC_LISTEN', '127.0.0.1', 'HVS-CONFIG-GRPC-LISTEN-INVALID'],
    ['HVS_HTTP_LISTEN', '127.0.0.1:70000', 'HVS-CONFIG-HTTP-LISTEN-INVALID'],
    ['HVS_DATA_DIR', 'relative/dir', 'HVS-CONFIG-DATA-DIR-INVALID'],
    ['HVS_REPLICA_ID', 'has space', 'HVS-CONFIG-REPLICA-ID-INVALID'],
    ['HVS_LEASE_TTL', '1500ms', 'HVS-CONFIG-LEASE-TTL-INVALID'],
    ['HVS_LEASE_TTL', 'soon', 'HVS-CONFIG-LEASE-TTL-INVALID'],
    ['HVS_HEARTBEAT_INTERVAL', '5s', 'HVS-CONFIG-HEARTBEAT-INTERVAL-INVALID'],
    ['HVS_HA_FENCE_AFTER', 'soon', 'HVS-CONFIG-HA-FENCE-AFTER-INVALID'],
    ['HVS_HA_FENCE_AFTER', '8s', 'HVS-CONFIG-HA-FENCE-AFTER-INVALID'],
    ['HVS_HA_RESCHEDULE_MARGIN', '1s', 'HVS-CONFIG-HA-RESCHEDULE-MARGIN-INVALID'],
    ['HVS_AUDIT_RETENTION_DAYS', '0', 'HVS-CONFIG-AUDIT-RETENTION-DAYS-INVALID'],
    ['HVS_LOG_LEVEL', 'loud', 'HVS-CONFIG-LOG-LEVEL-INVALID'],
    ['HVS_IMAGE_URL_PREFIXES', 'file:///srv/images/', 'HVS-CONFIG-IMAGE-URL-PREFIXES-INVALID'],
    ['HVS_IMAGE_URL_PREFIXES', 'https://user:pw@images.example/', 'HVS-CONFIG-IMAGE-URL-PREFIXES-INVALID'],
    ['HVS_IMAGE_MAX_UPLOAD_BYTES', '10KiB', 'HVS-CONFIG-IMAGE-MAX-UPLOAD-BYTES-INVALID'],
    ['HVS_IMAGE_MAX_UPLOAD_BYTES', 'big', 'HVS-CONFIG-IMAGE-MAX-UPLOAD-BYTES-INVALID'],
  ])('%s=%s is refused with %s, naming the variable in the fix', (name, value, code) => {
    const e = caught(() => loadConfig({ HVS_DATA_DIR: dir, [name]: value }));
    expect(e.code).toBe(code);
    expect(e.category).toBe('InvalidArgument');
    expect(e.fix).toContain(name);
    expect(e.why).toBeTruthy();
    expect(e.problems).toHaveLength(1);
  });

  it('reads the image settings: URL prefixes (comma list) and the upload cap with binary units', () => {
    const c = loadConfig({ HVS_DATA_DIR: dir, HVS_IMAGE_URL_PREFIXES: 'https://cloud.debian.org/, http://mirror.lan/images/', HVS_IMAGE_MAX_UPLOAD_BYTES: '128GiB' });
    expect(c.imageUrlPrefixes).toEqual(['https://cloud.debian.org/', 'http://mirror.lan/images/']);
    expect(c.imageMaxUploadBytes).toBe(128 * 1024 ** 3);
    expect(loadConfig({ HVS_DATA_DIR: dir, HVS_IMAGE_URL_PREFIXES: '' }).imageUrlPrefixes ?? []).toEqual([]);
  });

  it('reports every bad value at once', () => {
    const e = caught(() => loadConfig({ HVS_DATA_DIR: dir, HVS_LOG_LEVEL: 'loud', HVS_GRPC_LISTEN: 'x', HVS_AUDIT_RETENTION_DAYS: '-1' }));
    expect(e.problems.map((p) => p.code).sort()).toEqual(['HVS-CONFIG-AUDIT-RETENTION-DAYS-INVALID', 'HVS-CONFIG-GRPC-LISTEN-INVALID', 'HVS-CONFIG-LOG-LEVEL-INVALID']);
  });

  it('never echoes a Redis URL, which may carry a password', () => {
    const e = caught(() => loadConfig({ HVS_DATA_DIR: dir, HVS_REDIS_URL: 'mysql://root:topsecret@db' }));
    expect(e.code).toBe('HVS-CONFIG-REDIS-URL-INVALID');
    expect(JSON.stringify({ ...e, message: e.message, problems: e.problems })).not.toContain('topsecret');
  });

  it('refuses a data dir that does not exist or is a file', () => {
    const missing = caught(() => loadConfig({ HVS_DATA_DIR: join(dir, 'nope') }));
    expect(missing).toMatchObject({ code: 'HVS-CONFIG-DATA-DIR-INVALID', why: 'it does not exist' });
    expect(missing.fix).toContain('mkdir -p');
    const file = join(dir, 'file');
    writeFileSync(file, '');
    expect(caught(() => loadConfig({ HVS_DATA_DIR: file }))).toMatchObject({ why: 'it is not a directory' });
  });

  it('refuses an unreadable, malformed or unknown-key config file, and unknown arguments', () => {
    expect(caught(() => loadConfig({}, [], join(dir, 'missing.yaml')))).toMatchObject({ code: 'HVS-CONFIG-FILE-INVALID', why: 'it cannot be read (ENOENT)' });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'logLevel: [unclosed\n');
    expect(caught(() => loadConfig({}, [], bad)).why).toMatch(/^it is not valid YAML/);
    writeFileSync(bad, `dataDir: ${dir}\nlogLevle: debug\n`);
    const unknown = caught(() => loadConfig({}, [], bad));
    expect(unknown.why).toBe('it has unknown keys: logLevle');
    expect(unknown.fix).toContain('logLevel');
    writeFileSync(bad, `dataDir: ${dir}\nleaseTtl: forever\n`);
    const value = caught(() => loadConfig({}, [], bad));
    expect(value).toMatchObject({ code: 'HVS-CONFIG-LEASE-TTL-INVALID', message: `${bad}: leaseTtl is invalid: "forever"` });
    expect(caught(() => loadConfig({ HVS_DATA_DIR: dir }, ['--port', '1']))).toMatchObject({ code: 'HVS-CONFIG-ARGS-INVALID' });
  });

  it('every field has an env var, a file key, an example that is accepted, and a code', () => {
    for (const f of FIELDS) {
      expect(f.env).toMatch(/^HVS_[A-Z_]+$/);
      if (f.key.startsWith('etcd') && f.key.endsWith('File')) continue; // need real files and each other: etcd-tls.spec.ts
      const example = f.key === 'dataDir' ? dir : f.example;
      // The certificate and key go together and must exist (http-edge.spec.ts): their examples only have to parse.
      if (f.key === 'httpTlsCertFile' || f.key === 'httpTlsKeyFile') expect(f.schema.safeParse(example).success).toBe(true);
      else expect(() => loadConfig({ HVS_DATA_DIR: dir, [f.env]: example })).not.toThrow();
    }
  });
});
