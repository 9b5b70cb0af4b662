/**
 * The whole path with a real node agent: the controller app (API + control loops) on real
 * etcd, and the node agent as its own process (its real sources through
 * apps/node-agent/test/integration/agent-child.js, not imported: apps never import each other)
 * on libvirt's test driver. The agent registers and heartbeats, the lease makes the node
 * Ready, a VM written to the store is bound, assigned over gRPC and reported Running; a DHCP
 * lease written into the agent's Network dir reaches the VM's status.interfaces.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Node, VirtualMachine } from '@hvs/domain';
import type { INestApplication } from '@nestjs/common';
import { captureOutput, freePort, spawnTracked, startEtcd, stopProcess, waitFor, type EtcdInstance } from '../../../../test/harness';
import { GrpcApiServer } from '../../src/api/grpc/grpc-server';
import { ClusterPki } from '../../src/pki';
import { createApp } from '../../src/app';
import { EnvelopeTransformer, EtcdStore, KeyRing } from '../../src/store';
import { capturedLogger, testConfig } from '../app/fixtures';
import { condition } from '../runtime/fixtures';

jest.setTimeout(90_000);

const root = resolve(__dirname, '../../../..');
const AGENT_CHILD = join(root, 'apps/node-agent/test/integration/agent-child.js');

let etcd: EtcdInstance | undefined;
let store: EtcdStore | undefined;
let app: INestApplication | undefined;
let agent: ChildProcess | undefined;
let dir: string | undefined;
let cleanConfig = () => undefined as void;

afterAll(async () => {
  if (agent) await stopProcess(agent, 'SIGTERM');
  await app?.close();
  cleanConfig();
  await store?.close();
  await etcd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('controller + real node agent process (libvirt test driver, real etcd)', () => {
  it('registers the node, binds a VM to it, assigns it, and the VM goes Running', async () => {
    etcd = await startEtcd();
    const made = testConfig({ HVS_ETCD_ENDPOINTS: etcd.endpoint, HVS_LEASE_TTL: '4s', HVS_HEARTBEAT_INTERVAL: '1s' });
    cleanConfig = made.cleanup;
    // The controller seals VMs with the key ring in its data dir: the test's store uses the same one.
    store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000, transformer: new EnvelopeTransformer(KeyRing.loadOrCreate(made.config.dataDir)) });
    app = await createApp(made.config, { logger: capturedLogger('warn').logger, controlLoops: true });
    const controller = app.get(GrpcApiServer).address;

    dir = mkdtempSync(join(tmpdir(), 'hvs-e2e-agent-'));
    const poolDir = join(dir, 'pool');
    mkdirSync(poolDir);
    writeFileSync(join(dir, 'node.xml'), `<node><cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><nodes>1</nodes><sockets>1</sockets>
<cores>4</cores><threads>1</threads></cpu><memory>8388608</memory><pool type='dir'><name>default</name><target><path>${poolDir}</path></target></pool></node>\n`);
    const port = await freePort();
    // Joins with a one-time token from a 0600 file (never argv), then talks mTLS only.
    const token = await app.get(ClusterPki).tokens.create({ nodeName: 'node-e2e' });
    writeFileSync(join(dir, 'join-token'), `${token.token}\n`, { mode: 0o600 });
    agent = spawnTracked(process.execPath, [AGENT_CHILD], {
      env: {
        ...process.env, HVS_NODE_NAME: 'node-e2e', HVS_AGENT_LISTEN: `127.0.0.1:${port}`, HVS_AGENT_ADVERTISE: `127.0.0.1:${port}`,
        HVS_JOIN: controller, HVS_JOIN_TOKEN_FILE: join(dir, 'join-token'), HVS_LIBVIRT_URI: `test://${join(dir, 'node.xml')}`, HVS_AGENT_STATE_DIR: join(dir, 'state'),
        HVS_AGENT_POOLS: `default=${poolDir}`, HVS_AGENT_METRICS_LISTEN: 'off', HVS_AGENT_HEARTBEAT_MS: '500', HVS_LOG_LEVEL: 'warn',
      },
    });
    const output = captureOutput(agent);
    const s = store;

    const node = await waitFor(async () => {
      const n = await s.get<Node>('Node', 'node-e2e').catch(() => undefined);
      return n && condition(n, 'Ready')?.status === 'True' && n.spec.address ? n : undefined;
    }, { what: `node-e2e registered and Ready (agent output: ${output()})`, timeoutMs: 60_000 });
    expect(node.spec.address).toBe(`127.0.0.1:${port}`);
    expect(node.status?.capacity?.cpus).toBe(4);

    await s.create({
      apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: 'e2e-vm' },
      spec: { cpu: { cores: 1 }, memory: { size: '64MiB' }, disks: [], networks: [], runState: 'Running' },
    });
    const vm = await waitFor(async () => {
      const v = await s.get<VirtualMachine>('VirtualMachine', 'e2e-vm');
      return v.status?.phase === 'Running' ? v : undefined;
    }, { what: 'e2e-vm Running', timeoutMs: 30_000 }).catch(async (e: Error) => {
      throw new Error(`${e.message}; VM now ${JSON.stringify((await s.get('VirtualMachine', 'e2e-vm')).status)}; agent output: ${output()}`);
    });
    expect(vm.status?.node).toBe('node-e2e');
    expect(condition(vm, 'Scheduled')).toMatchObject({ status: 'True', reason: 'Bound' });
    expect(condition(vm, 'Ready')).toMatchObject({ status: 'True' });
    expect(vm.status?.observedGeneration).toBe(1);
  });

  it('a DHCP lease in the node\'s Network dir reaches the VM status as its interface address (docs/networking.md#guest-addresses)', async () => {
    const s = store!;
    const mac = '52:54:00:e2:e0:01';
    await s.create({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'lan' }, spec: { mode: 'bridge', bridge: 'br-e2e' } });
    await s.create({
      apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: 'e2e-nic' },
      spec: { cpu: { cores: 1 }, memory: { size: '64MiB' }, disks: [], networks: [{ name: 'eth0', network: 'lan', mac }], runState: 'Running' },
    });
    const interfaceOf = async () => (await s.get<VirtualMachine>('VirtualMachine', 'e2e-nic')).status?.interfaces?.[0];
    await waitFor(async () => (await interfaceOf())?.mac === mac, { what: 'e2e-nic reported with its NIC', timeoutMs: 30_000 });
    // What the node's dnsmasq writes for that Network once the guest asked DHCP.
    mkdirSync(join(dir!, 'state', 'networks', 'lan'), { recursive: true });
    writeFileSync(join(dir!, 'state', 'networks', 'lan', 'dnsmasq.leases'), `${Math.floor(Date.now() / 1000) + 3600} ${mac} 192.0.2.10 e2e-nic *\n`);
    const nic = await waitFor(async () => {
      const i = await interfaceOf();
      return i?.source === 'lease' ? i : undefined;
    }, { what: 'the lease in e2e-nic status.interfaces', timeoutMs: 20_000 });
    expect(nic).toMatchObject({ name: 'eth0', mac, network: 'lan', ipv4: '192.0.2.10' });
    expect((await s.get<VirtualMachine>('VirtualMachine', 'e2e-nic')).status?.ips).toStrictEqual(['192.0.2.10']);
  });
});
