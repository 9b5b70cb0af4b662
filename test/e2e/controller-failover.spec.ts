/**
 * Controller failover as it happens in production (issue #3, "Done when": leader failover
 * between two controller processes): two real controller processes (the built
 * apps/controller/dist/main.js, as `npm test` builds it first) on one real etcd with a 3 s
 * lease TTL, sharing one cluster CA (copied into the second replica's data dir, as an operator
 * does). Exactly one leads; the leader is killed with SIGKILL; a Node (joined with a join
 * token and registered through the survivor's gRPC API with its own certificate, its heartbeat
 * lease kept alive by the test) and a VM (applied through the survivor's REST API) appear, and
 * the new leader binds the VM. Both replicas
 * serve reads before; after, the survivor does, and the killed replica started again serves
 * reads as a follower. `hvctl events` (the built CLI) shows the binding's event. Every
 * process is stopped by PID and every temp dir removed in afterAll, also after a failure.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { credentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import { clientCredentials, CONTROLLER_SERVER_NAME, exportPrivateKeyPem, serverNameOptions, generateKeyPair, KEY_ALGORITHM, x509 } from '@hvs/pki';
import { v1 } from '@hvs/proto';
import { freePort, spawnTracked, startEtcd, stopProcess, waitFor, type EtcdInstance } from '../harness';
import { HVCTL_MAIN, REPO, run } from './cli';

const CONTROLLER_MAIN = path.join(REPO, 'apps/controller/dist/main.js');
const LEASE_TTL_S = 3;

jest.setTimeout(120_000);

interface Replica {
  name: string;
  dataDir: string;
  http: string;
  grpc: string;
  env: NodeJS.ProcessEnv;
  child?: ChildProcess;
  output: string;
}

let etcd: EtcdInstance | undefined;
let tmp: string | undefined;
const replicas: Replica[] = [];
const clients: { close(): void }[] = [];
let heartbeat: NodeJS.Timeout | undefined;

beforeAll(async () => {
  if (!fs.existsSync(CONTROLLER_MAIN) || !fs.existsSync(HVCTL_MAIN)) {
    throw new Error(`${CONTROLLER_MAIN} or ${HVCTL_MAIN} is not built: run npm run build (npm test builds first)`);
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-e2e-failover-'));
  etcd = await startEtcd();
  for (const name of ['ctl-a', 'ctl-b']) {
    const dataDir = path.join(tmp, name);
    fs.mkdirSync(dataDir);
    const http = `127.0.0.1:${await freePort()}`;
    const grpc = `127.0.0.1:${await freePort()}`;
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HVS_')));
    replicas.push({
      name, dataDir, http, grpc, output: '',
      env: {
        ...base, HVS_ETCD_ENDPOINTS: etcd.endpoint, HVS_HTTP_LISTEN: http, HVS_GRPC_LISTEN: grpc, HVS_DATA_DIR: dataDir,
        HVS_REPLICA_ID: name, HVS_LEASE_TTL: `${LEASE_TTL_S}s`, HVS_HEARTBEAT_INTERVAL: '1s', HVS_LOG_LEVEL: 'info',
      },
    });
  }
});

afterAll(async () => {
  clearInterval(heartbeat);
  for (const c of clients) c.close();
  for (const r of replicas) if (r.child) await stopProcess(r.child, 'SIGKILL');
  await etcd?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

async function start(r: Replica): Promise<void> {
  r.output = '';
  const child = spawnTracked(process.execPath, [CONTROLLER_MAIN], { env: r.env, cwd: tmp });
  r.child = child;
  const add = (b: Buffer) => {
    r.output = (r.output + b.toString('utf8')).slice(-200_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`${r.name} exited (${child.exitCode}):\n${r.output}`);
    const res = await fetch(`http://${r.http}/readyz`, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  }, { what: `${r.name} ready`, timeoutMs: 30_000, intervalMs: 100 });
}

/** The leader key's value, read through etcd's JSON gateway (who the controllers think leads). */
async function leaderKey(): Promise<{ id: string; address: string } | undefined> {
  const res = await fetch(`${etcd!.endpoint}/v3/kv/range`, {
    method: 'POST', body: JSON.stringify({ key: Buffer.from('/hvs/v1/leader').toString('base64') }), signal: AbortSignal.timeout(2_000),
  });
  const body = (await res.json()) as { kvs?: { value: string }[] };
  const v = body.kvs?.[0]?.value;
  return v ? (JSON.parse(Buffer.from(v, 'base64').toString('utf8')) as { id: string; address: string }) : undefined;
}

const leads = (r: Replica) => r.output.includes('leading: control loops started');

/** An admin API token for REST (every /api/v1 route needs a bearer token), made once the first replica runs. */
let restToken = '';

async function getJson(r: Replica, route: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://${r.http}/api/v1/${route}`, { headers: { authorization: `Bearer ${restToken}` }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A CSR for `node` and its key (what an agent makes before it joins). */
async function nodeCsr(node: string): Promise<{ csrPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=node:${node}`, keys, signingAlgorithm: KEY_ALGORITHM });
  return { csrPem: csr.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

function unary<Req, Res>(client: object, method: (req: Req, md: Metadata, o: { deadline: Date }, cb: (e: Error | null, r: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method.call(client, req, new Metadata(), { deadline: new Date(Date.now() + 5_000) }, (e, r) => (e ? reject(e) : resolve(r))));
}

const VM = `apiVersion: hvs/v1
kind: VirtualMachine
metadata:
  name: after-failover
spec:
  cpu:
    cores: 1
  memory:
    size: 512MiB
  disks: []
  networks: []
  runState: Running
`;

describe('two controller processes, one etcd: leader failover', () => {
  it('one leads; after SIGKILL of the leader the other takes over and binds a VM applied through it', async () => {
    // The first replica creates the cluster CA and the encryption key file; the second gets a
    // copy of both (one CA and one key ring per cluster: docs/architecture/secrets.md#key-file).
    const [a, b] = replicas as [Replica, Replica];
    await start(a);
    fs.cpSync(path.join(a.dataDir, 'pki'), path.join(b.dataDir, 'pki'), { recursive: true });
    fs.cpSync(path.join(a.dataDir, 'encryption'), path.join(b.dataDir, 'encryption'), { recursive: true });
    await start(b);
    const caFile = path.join(a.dataDir, 'pki/ca.crt');
    const caPem = fs.readFileSync(caFile, 'utf8');
    // The bootstrap admin the first replica wrote into its data dir (copied to the second with the CA).
    const certFile = path.join(a.dataDir, 'pki/admin.crt');
    const keyFile = path.join(a.dataDir, 'pki/admin.key');
    const operator: ChannelCredentials = credentials.createSsl(Buffer.from(caPem), fs.readFileSync(keyFile), fs.readFileSync(certFile));
    const identity = new v1.IdentityServiceClient(a.grpc, operator, serverNameOptions(CONTROLLER_SERVER_NAME));
    clients.push(identity);
    // The admin's record reaches etcd just after the replica starts: retry the refusal briefly.
    restToken = await waitFor(async () => (await unary(identity, identity.createToken, { name: 'e2e', role: 'admin', scope: '', ttlSeconds: 3600 })).secret,
      { what: 'an admin token from the first replica', timeoutMs: 20_000 });

    // Exactly one leader: the key names one replica's gRPC address, and only that one runs the loops.
    const first = await waitFor(async () => {
      const k = await leaderKey();
      const r = replicas.find((x) => x.grpc === k?.address);
      return r && leads(r) ? r : undefined;
    }, { what: 'a leader', timeoutMs: 20_000 });
    const survivor = replicas.find((r) => r !== first)!;
    expect(leads(survivor)).toBe(false);
    for (const r of replicas) expect((await getJson(r, 'vms')).status).toBe(200);

    // kill -9: no resignation; the survivor must wait out the lease.
    await stopProcess(first.child!, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => (await leaderKey())?.address === survivor.grpc && leads(survivor), { what: 'the survivor to lead', timeoutMs: 30_000 });
    console.log(`leader failover after SIGKILL: ${Date.now() - killedAt} ms (lease TTL ${LEASE_TTL_S} s)`);

    // A Node through the survivor's gRPC API as an agent joins: a join token (operator), a
    // certificate for its name (Join), then RegisterNode and heartbeats with that certificate.
    const admin = new v1.NodeServiceClient(survivor.grpc, operator, serverNameOptions(CONTROLLER_SERVER_NAME));
    clients.push(admin);
    const address = `127.0.0.1:${await freePort()}`;
    const { token } = await unary(admin, admin.createJoinToken, { ttlSeconds: 0, nodeName: 'e2e-node', replace: false, uses: 0 });
    const { csrPem, keyPem } = await nodeCsr('e2e-node');
    const joined = await unary(admin, admin.join, { token, nodeName: 'e2e-node', csrPem, address });
    const nodes = new v1.NodeServiceClient(survivor.grpc, clientCredentials(caPem, joined.certificatePem, keyPem, { expectedServerName: CONTROLLER_SERVER_NAME }), serverNameOptions(CONTROLLER_SERVER_NAME));
    clients.push(nodes);
    const facts = v1.HostFacts.fromPartial({ hostname: 'e2e-node', cpus: 4, memoryBytes: 8 * 1024 ** 3, hypervisorMode: 'test', agentVersion: 'e2e' });
    await unary(nodes, nodes.registerNode, { name: 'e2e-node', address, facts, labels: {} });
    heartbeat = setInterval(() => {
      void unary(nodes, nodes.heartbeat, { node: 'e2e-node', observedGeneration: 0, sentAtUnixMs: Date.now() }).catch(() => undefined);
    }, 1_000);

    const applied = await fetch(`http://${survivor.http}/api/v1/apply`, {
      method: 'POST', headers: { 'content-type': 'application/yaml', authorization: `Bearer ${restToken}` }, body: VM, signal: AbortSignal.timeout(10_000),
    });
    expect(applied.status).toBe(200);
    const bound = await waitFor(async () => {
      const { body } = await getJson(survivor, 'vm/after-failover');
      return (body.status as { node?: string } | undefined)?.node;
    }, { what: 'the VM bound by the new leader', timeoutMs: 30_000 });
    expect(bound).toBe('e2e-node');

    // The built hvctl reads the binding's event from the new leader.
    const home = path.join(tmp!, 'home');
    fs.mkdirSync(home, { recursive: true });
    const config = path.join(home, 'hvctl.yaml');
    fs.writeFileSync(config, `current-context: e2e\ncontexts:\n  - name: e2e\n    controller: ${survivor.grpc}\n    credentials: {type: tls, caFile: ${caFile}, certFile: ${certFile}, keyFile: ${keyFile}}\n`, { mode: 0o600 });
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HVS_'))), HOME: home, HVS_CONFIG: config, NO_COLOR: '1' };
    const ev = await run(process.execPath, [HVCTL_MAIN, 'events', 'vm/after-failover'], { env, timeoutMs: 30_000 });
    expect(`${ev.code} ${ev.stdout}${ev.stderr}`).toMatch(/^0 AGE +TYPE +REASON +OBJECT +SOURCE +MESSAGE\n.*Normal +Bound +virtualmachine\/after-failover +controller\/scheduler +bound to node e2e-node\n/s);

    // The killed replica comes back as a follower and serves reads.
    await start(first);
    const again = await getJson(first, 'vm/after-failover');
    expect(again.status).toBe(200);
    expect((again.body.status as { node?: string }).node).toBe('e2e-node');
    expect((await leaderKey())?.address).toBe(survivor.grpc);
    expect(leads(first)).toBe(false);
  });
});
