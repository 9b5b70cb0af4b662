/**
 * The agent as a joined cluster member, in-process on the libvirt test driver: it joins a
 * stand-in controller with a token from a file, then serves its API with mTLS only. Who may
 * call what: the controller's certificate everything, a peer node's only PeerCheck, a client
 * without a certificate (or from another CA) nothing. Renewal runs on an injected clock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, credentials, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { FakeClock } from '@hvs/reconcile';
import { agentv1, hvsErrorFromServiceError } from '@hvs/proto';
import { createAgent, type Agent } from '../../src/agent/agent';
import { ClusterIdentity, RENEW_CHECK_MS, RENEW_RETRY_MS } from '../../src/agent/cluster-identity';
import { loadAgentConfig } from '../../src/config/config';
import { writeTestNode } from '../../src/hypervisor';
import { clientCredentials, fingerprintOf, nodeServerName, serverNameOptions } from '../../src/pki';
import { assignRequest, tempDir, testVm, until } from '../support/fixtures';
import { startFakeController, TestCa, type FakeController } from './fixtures';

jest.setTimeout(60_000);

const TOKEN = 'hvs1.0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
let dir: string;
let cleanup: () => Promise<void>;
let ca: TestCa;
let controller: FakeController;
let agent: Agent;
const lines: string[] = [];
const clients: agentv1.AgentClient[] = [];

function client(creds: ChannelCredentials): agentv1.AgentClient {
  // SNI only (Node 26 refuses an IP there); what is verified is the name inside `creds`.
  const c = new agentv1.AgentClient(agent.address, creds, serverNameOptions(nodeServerName('node-1')));
  clients.push(c);
  return c;
}

function heartbeat(c: agentv1.AgentClient): Promise<agentv1.HeartbeatResponse> {
  return new Promise((resolve, reject) => c.heartbeat({}, new Metadata(), { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r!))));
}

function peerCheck(c: agentv1.AgentClient): Promise<agentv1.PeerCheckResponse> {
  return new Promise((resolve, reject) => c.peerCheck({ fromNode: 'peer' }, new Metadata(), { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r!))));
}

function assign(c: agentv1.AgentClient, req: agentv1.AssignRequest): Promise<agentv1.AssignResponse> {
  return new Promise((resolve, reject) => c.assign(req, new Metadata(), { deadline: Date.now() + 10_000 }, (e, r) => (e ? reject(e) : resolve(r!))));
}

async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
}

async function as(subject: string, dns: string[], trust: TestCa = ca): Promise<agentv1.AgentClient> {
  const id = await trust.identity(subject, dns);
  return client(clientCredentials(ca.pem, id.certPem, id.keyPem, { expectedServerName: nodeServerName('node-1') }));
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('hvs-agent-mtls-'));
  ca = await TestCa.create();
  controller = await startFakeController(ca, TOKEN);
  const poolDir = join(dir, 'pools', 'default');
  const uri = await writeTestNode(join(dir, 'node.xml'), { poolDir, cpus: 2, memoryBytes: 4 * 1024 ** 3 });
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  const caHash = fingerprintOf(ca.pem);
  agent = createAgent(loadAgentConfig({
    HVS_NODE_NAME: 'node-1', HVS_LIBVIRT_URI: uri, HVS_AGENT_STATE_DIR: join(dir, 'state'), HVS_AGENT_POOLS: `default=${poolDir}`,
    HVS_AGENT_LISTEN: '127.0.0.1:0', HVS_AGENT_METRICS_LISTEN: 'off', HVS_LOG_LEVEL: 'info',
    HVS_JOIN: controller.address, HVS_JOIN_TOKEN_FILE: join(dir, 'token'), HVS_JOIN_CA_HASH: caHash,
  }), {
    // RegisterNode/Heartbeat are not in the stand-in controller (the real ones: controller tests).
    nodeService: { registerNode: () => Promise.reject(new Error('not in the stand-in')), heartbeat: () => Promise.reject(new Error('not in the stand-in')), close: () => undefined },
    logDestination: { write: (s: string) => void lines.push(s) },
  });
  await agent.start();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await agent?.stop();
  await controller?.stop();
  await cleanup?.();
});

describe('a joined agent serves mTLS only', () => {
  it('joined with the token from the file, which never appears in its log', () => {
    expect(controller.joins.map((j) => [j.nodeName, j.token === TOKEN])).toEqual([['node-1', true]]);
    expect(agent.identity?.identity.isJoined()).toBe(true);
    const log = lines.join('');
    expect(log).toContain('joined: certificate for node node-1');
    expect(log).not.toContain(TOKEN.split('.')[2]);
  });

  it('the controller\'s certificate may Assign; the VM goes Running', async () => {
    const ctl = await as('CN=hvs-controller', ['controller.hvs']);
    const vm = testVm('web-1', '00000000-0000-4000-8000-000000000001');
    await expect(assign(ctl, assignRequest([vm], 1, 1, 'node-1'))).resolves.toMatchObject({ accepted: true });
    await until('web-1 Running', () => agent.observed.get('00000000-0000-4000-8000-000000000001')?.phase === 'Running');
    await expect(heartbeat(ctl)).resolves.toMatchObject({ node: 'node-1' });
  });

  it('a peer node\'s certificate may only ask PeerCheck', async () => {
    const peer = await as('CN=node:node-2', ['node-2.node.hvs']);
    await expect(peerCheck(peer)).resolves.toMatchObject({ node: 'node-1' });
    const e = await failure(assign(peer, assignRequest([], 2, 2, 'node-1')));
    expect(e.code).toBe(status.PERMISSION_DENIED);
    expect(hvsErrorFromServiceError(e).code).toBe('HVS-AGENT-CALLER-FORBIDDEN');
    expect((await failure(heartbeat(peer))).code).toBe(status.PERMISSION_DENIED);
    expect(agent.store.generation).toBe(1);
  });

  it('a client without a certificate, or with one from another CA, cannot call at all', async () => {
    const anonymous = client(credentials.createSsl(Buffer.from(ca.pem), null, null, { checkServerIdentity: () => undefined }));
    expect((await failure(peerCheck(anonymous))).code).toBe(status.UNAVAILABLE);
    const other = await TestCa.create();
    const foreign = await as('CN=hvs-controller', ['controller.hvs'], other);
    expect((await failure(heartbeat(foreign))).code).toBe(status.UNAVAILABLE);
    const plain = client(credentials.createInsecure());
    expect((await failure(peerCheck(plain))).code).toBe(status.UNAVAILABLE);
  });
});

describe('certificate renewal on the injected clock', () => {
  it('renews once 2/3 of the life passed, retries sooner after a failure, reconnects to the controller after a renewal, and stops', async () => {
    const clock = new FakeClock(Date.now());
    const identity = agent.identity as ClusterIdentity;
    const renewals: number[] = [];
    let fail = true;
    let reconnects = 0;
    const log = { info: () => undefined, warn: () => undefined };
    const stop = identity.startRenewal(clock, log, async () => {
      renewals.push(clock.now());
      if (fail) throw new Error('controller away');
      return { expiresAt: new Date(clock.now() + 90 * 86_400_000) };
    }, () => reconnects++);
    await clock.advance(59 * 86_400_000);
    expect(renewals).toEqual([]); // the stand-in CA's 90-day certificate needs nothing before day 60
    for (let i = 0; i < 48 && renewals.length === 0; i++) await clock.advance(RENEW_CHECK_MS);
    expect(renewals.length).toBe(1); // due from day 60 (2/3), found by the hourly check
    await clock.advance(RENEW_RETRY_MS - 1);
    expect(renewals.length).toBe(1);
    expect(reconnects).toBe(0); // nothing renewed: the connection keeps the certificate that still works
    fail = false;
    await clock.advance(1); // failed: retried a minute later, not an hour
    expect(renewals.length).toBe(2);
    expect(reconnects).toBe(1); // the controller accepts the old certificate only until the new one is used
    stop();
    await clock.advance(10 * RENEW_CHECK_MS);
    expect(renewals.length).toBe(2);
  });
});
