/**
 * The etcd `hvctl up` starts requires client certificates (issue 12 item 6,
 * docs/architecture/etcd-auth.md). etcd is started by the supervisor's own code (upLocal, temp
 * data dir, free ports); the controller side is its real config loader and EtcdBackend fed the
 * very environment `hvctl up` gives the controller. Refusals are proven with two clients: the
 * controller's etcd3 connection and Debian's etcdctl (a Go client). Every etcd started here is
 * stopped in afterEach, also when a test fails.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';
import { HvsError } from '@hvs/domain';
import { EtcdBackend } from '../apps/controller/src/backend';
import { loadConfig, readEtcdCredentials } from '../apps/controller/src/config';
import { EnvelopeTransformer, EtcdConnection, KeyRing } from '../apps/controller/src/store';
import { childEnv, componentSpecs } from '../apps/hvctl/src/local/components';
import { ensureEtcdTls } from '../apps/hvctl/src/local/etcd-tls';
import { etcdTlsArgs, etcdTlsFiles, type EtcdTlsFiles } from '../apps/hvctl/src/local/etcd-tls-files';
import { procStartTime, spawnDetached } from '../apps/hvctl/src/local/procs';
import { readState, writeState, type LocalState } from '../apps/hvctl/src/local/state';
import { downLocal, logPath, upLocal, type LocalOptions } from '../apps/hvctl/src/local/supervisor';
import { fakeIo } from '../apps/hvctl/test/fake-io';
import { TestCa } from '../libs/pki/test/support';

const run = promisify(execFile);
jest.setTimeout(60_000);
let dataDir: string;
const pids = new Set<number>();
const closers: (() => unknown)[] = [];

const opts = (): LocalOptions => ({ dataDir, io: fakeIo({ env: process.env }), components: ['etcd'], autoPorts: true, stopGraceMs: 5_000 });
const modeOf = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);
const remember = (s: LocalState | undefined) => Object.values(s?.components ?? {}).forEach((r) => r && pids.add(r.pid));

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-etcd-auth-'));
});

afterEach(() => {
  for (const c of closers.splice(0)) c();
  remember(readState(dataDir));
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The environment `hvctl up` gives the controller, with a temp data dir of its own. */
function controllerEnv(state: LocalState): Record<string, string> {
  const spec = componentSpecs({ dataDir, ports: state.ports, agentUri: 'auto', nodeName: 'n1', repoRoot: '/repo', baseEnv: childEnv({}),
    nodeRegistered: () => Promise.resolve(true as const), joinToken: () => Promise.resolve('t') }).controller;
  const ctlDir = path.join(dataDir, 'controller');
  fs.mkdirSync(ctlDir, { recursive: true });
  return { ...(spec.env as Record<string, string>), HVS_DATA_DIR: ctlDir };
}

function connection(endpoint: string, credentials?: ConstructorParameters<typeof EtcdConnection>[0]['credentials']): EtcdConnection {
  const c = new EtcdConnection({ endpoints: [endpoint], callTimeoutMs: 1_500, ...(credentials ? { credentials } : {}) });
  closers.push(() => c.close());
  return c;
}

const put = (c: EtcdConnection, key: string, value: string) => c.call((o) => c.client.kv.put({ key: Buffer.from(key), value: Buffer.from(value) }, o));
const get = async (c: EtcdConnection, key: string) => (await c.call((o) => c.client.kv.range({ key: Buffer.from(key) }, o))).kvs[0]?.value.toString();

async function refused(p: Promise<unknown>): Promise<HvsError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(HvsError);
  return e as HvsError;
}

/** etcdctl's exit code and output, never throwing. */
async function etcdctl(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('etcdctl', ['--dial-timeout=2s', '--command-timeout=3s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? 1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

/** The fingerprint of the certificate etcd presents to a new TLS connection. */
function servedCertificate(port: number, f: EtcdTlsFiles): Promise<string> {
  const pair = f.clientCert ? { cert: fs.readFileSync(f.clientCert), key: fs.readFileSync(f.clientKey) } : {};
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(f.caCert), ...pair }, () => {
      // TLS 1.3: a refused client certificate is only reported after the handshake, on the first read.
      s.write('GET /members HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      s.once('data', () => {
        resolve(s.getPeerX509Certificate()!.fingerprint256);
        s.destroy();
      });
    });
    s.once('error', reject);
    s.once('end', () => reject(new Error('socket hang up')));
  });
}

describe('the etcd of hvctl up requires a client certificate', () => {
  it('refuses clients without the local CA\'s certificate and serves the controller configured as hvctl up configures it', async () => {
    const up = await upLocal(opts());
    remember(up.state);
    expect(up.state.etcdAuth).toBe('client-tls');
    const f = etcdTlsFiles(dataDir);
    const endpoint = `https://localhost:${up.state.ports.etcdClient}`;
    expect(modeOf(f.dir)).toBe('700');
    for (const key of [f.caKey, f.serverKey, f.clientKey]) expect(modeOf(key)).toBe('600');

    // The controller as hvctl up starts it: its own config loader, its one etcd backend.
    const env = controllerEnv(up.state);
    expect(env).toMatchObject({ HVS_ETCD_ENDPOINTS: endpoint, HVS_ETCD_CA_FILE: f.caCert, HVS_ETCD_CERT_FILE: f.clientCert, HVS_ETCD_KEY_FILE: f.clientKey });
    const keyPem = fs.readFileSync(f.clientKey, 'utf8');
    const etcdSpec = componentSpecs({ dataDir, ports: up.state.ports, agentUri: 'auto', nodeName: 'n1', repoRoot: '/repo', baseEnv: {},
      nodeRegistered: () => Promise.resolve(true as const), joinToken: () => Promise.resolve('t') }).etcd;
    expect(JSON.stringify([env, etcdSpec.args, etcdSpec.env])).not.toContain(keyPem.split('\n')[1]); // paths only, never key bytes
    const config = loadConfig(env);
    const backend = new EtcdBackend({ endpoints: config.etcdEndpoints, credentials: readEtcdCredentials(config), callTimeoutMs: 3_000, transformer: new EnvelopeTransformer(KeyRing.loadOrCreate(config.dataDir)) });
    closers.push(() => backend.connection.close());
    await put(backend.connection, '/hvs-test/k', 'v1');
    expect(await get(backend.connection, '/hvs-test/k')).toBe('v1');
    await backend.ping();

    // Trusting the CA but presenting no certificate; plain HTTP; a certificate from another CA.
    const noCert = await refused(put(connection(endpoint, { rootCertificate: fs.readFileSync(f.caCert) }), '/hvs-test/k', 'evil'));
    expect(noCert).toMatchObject({ code: 'HVS-STORE-UNAVAILABLE', why: expect.stringContaining('bad certificate') });
    expect(noCert.fix).toContain('HVS_ETCD_CERT_FILE');
    expect((await refused(put(connection(`http://127.0.0.1:${up.state.ports.etcdClient}`), '/hvs-test/k', 'evil'))).code).toBe('HVS-STORE-UNAVAILABLE');
    const other = await (await TestCa.create()).identity('CN=hvs-controller', []);
    const foreign = await refused(put(connection(endpoint, { rootCertificate: fs.readFileSync(f.caCert), certChain: Buffer.from(other.certPem), privateKey: Buffer.from(other.keyPem) }), '/hvs-test/k', 'evil'));
    expect(foreign.code).toBe('HVS-STORE-UNAVAILABLE');
    expect(foreign.fix).toContain('HVS_ETCD_CERT_FILE');

    // A Go client: etcdctl without a certificate is refused, with the local client certificate it reads.
    const anon = await etcdctl([`--endpoints=${endpoint}`, `--cacert=${f.caCert}`, 'get', '/hvs-test/k']);
    expect(anon.code).not.toBe(0);
    expect(anon.out).not.toContain('v1');
    const plain = await etcdctl([`--endpoints=http://127.0.0.1:${up.state.ports.etcdClient}`, 'get', '/hvs-test/k']);
    expect(plain.code).not.toBe(0);
    // The peer port too: no raft or membership traffic without a certificate.
    const peerErr = await servedCertificate(up.state.ports.etcdPeer, { ...f, clientCert: '', clientKey: '' }).catch((e: Error) => e.message);
    expect(peerErr).toContain('alert bad certificate');
    const withCert = await etcdctl([`--endpoints=${endpoint}`, `--cacert=${f.caCert}`, `--cert=${f.clientCert}`, `--key=${f.clientKey}`, 'get', '/hvs-test/k', '--print-value-only']);
    expect(withCert).toEqual({ code: 0, out: 'v1\n' });
    expect(await get(backend.connection, '/hvs-test/k')).toBe('v1'); // none of the refused writes landed

    // Re-issued while etcd runs (as renewal does; here because the file is gone): the next
    // handshake already presents the new server certificate.
    const served = await servedCertificate(up.state.ports.etcdClient, f);
    fs.rmSync(f.serverCert);
    await ensureEtcdTls(dataDir);
    expect(await servedCertificate(up.state.ports.etcdClient, f)).not.toBe(served);
    expect(await servedCertificate(up.state.ports.etcdClient, f)).toBe(new X509Certificate(fs.readFileSync(f.serverCert)).fingerprint256);
    expect(await get(connection(endpoint, readEtcdCredentials(loadConfig(env))), '/hvs-test/k')).toBe('v1');

    expect((await downLocal(opts())).map((s) => [s.name, s.result])).toEqual([['etcd', 'exited']]);
  });

  it('a data dir of an earlier hvctl up (etcd without auth) is upgraded: refused while that etcd runs, then restarted with TLS, data kept', async () => {
    // The earlier hvctl: the same etcd command without the TLS flags, on http://.
    const first = await upLocal(opts());
    remember(first.state);
    await downLocal(opts());
    const f = etcdTlsFiles(dataDir);
    const spec = componentSpecs({ dataDir, ports: first.state.ports, agentUri: 'auto', nodeName: 'n1', repoRoot: '/repo', baseEnv: process.env,
      nodeRegistered: () => Promise.resolve(true as const), joinToken: () => Promise.resolve('t') }).etcd;
    fs.rmSync(path.join(dataDir, 'etcd'), { recursive: true });
    fs.rmSync(f.dir, { recursive: true });
    const tls = new Set(etcdTlsArgs(f));
    const oldArgs = spec.args.filter((a) => !tls.has(a)).map((a) => a.replace('https://', 'http://'));
    fs.mkdirSync(path.join(dataDir, 'etcd'), { mode: 0o700 });
    const old = spawnDetached('etcd', oldArgs, { env: process.env, cwd: dataDir, logFile: logPath(dataDir, 'etcd') });
    pids.add(old.pid);
    // Its controller (a stand-in process: only its record matters) was told no etcd credentials.
    const oldController = spawnDetached('sleep', ['120'], { env: process.env, cwd: dataDir, logFile: logPath(dataDir, 'controller') });
    pids.add(oldController.pid);
    const record = (p: typeof old, c: 'etcd' | 'controller') => ({ ...p, startedAt: new Date().toISOString(), log: logPath(dataDir, c) });
    const { etcdAuth: _none, ...legacy } = { ...first.state, components: { etcd: record(old, 'etcd'), controller: record(oldController, 'controller') } };
    writeState(legacy);
    const plainEndpoint = `http://127.0.0.1:${first.state.ports.etcdClient}`;
    const oldClient = connection(plainEndpoint);
    await oldClient.call((o) => oldClient.client.kv.put({ key: Buffer.from('/hvs-test/kept'), value: Buffer.from('from before') }, o), 10_000);

    const busy = await refused(upLocal(opts()));
    expect(busy.code).toBe('HVS-UP-ETCD-AUTH-RESTART');
    expect(busy.message).toBe(`etcd (pid ${old.pid}) and controller (pid ${oldController.pid}) in ${dataDir} were started by an earlier hvctl, with etcd without authentication`);
    expect(busy.fix).toContain(`hvctl down --data-dir ${dataDir}`);
    expect(procStartTime(old.pid)).toBe(old.startTime); // refused before touching anything

    expect((await downLocal(opts())).map((s) => [s.name, s.result])).toEqual([['controller', 'exited'], ['etcd', 'exited']]);
    const again = await upLocal(opts());
    remember(again.state);
    expect(again.started).toEqual(['etcd']);
    expect(again.state.etcdAuth).toBe('client-tls');
    const config = loadConfig(controllerEnv(again.state));
    const c = connection(config.etcdEndpoints[0]!, readEtcdCredentials(config));
    expect(await get(c, '/hvs-test/kept')).toBe('from before');
    expect((await refused(put(connection(plainEndpoint), '/hvs-test/kept', 'evil'))).code).toBe('HVS-STORE-UNAVAILABLE');
  });
});
