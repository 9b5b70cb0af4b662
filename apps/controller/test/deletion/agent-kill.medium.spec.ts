/**
 * Issue 11 "Done when": an agent killed (-9) during a VM's clean-up leaves the deletion
 * pending, and it completes after the agent restarts. The controller app (API + control loops)
 * on real etcd; the node agent as its own process (its real sources through agent-child.js) on
 * the fake hypervisor with guests that ignore ACPI, so the removal of the running VM hangs in its
 * shutdown until the agent is killed. Volumes are real qcow2 files in a temp pool.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Node, VirtualMachine } from '@hvs/domain';
import type { INestApplication } from '@nestjs/common';
import { captureOutput, freePort, spawnTracked, startEtcd, stopProcess, waitFor, type EtcdInstance } from '../../../../test/harness';
import { GrpcApiServer } from '../../src/api/grpc/grpc-server';
import { createApp } from '../../src/app';
import { ClusterPki } from '../../src/pki';
import { VM_HOST_CLEANUP } from '../../src/runtime';
import { ResourceService } from '../../src/services';
import { EnvelopeTransformer, EtcdStore, KeyRing } from '../../src/store';
import { capturedLogger, testConfig } from '../app/fixtures';
import { condition } from '../runtime/fixtures';
import { asUser } from '../identity/as-user';

jest.setTimeout(120_000);

const root = resolve(__dirname, '../../../..');
const AGENT_CHILD = join(root, 'test/harness/agent-child.js');
const ctx = asUser('kill-test');

let etcd: EtcdInstance | undefined;
let store: EtcdStore | undefined;
let app: INestApplication | undefined;
const agents: ChildProcess[] = [];
let dir: string | undefined;
let cleanConfig = () => undefined as void;

afterAll(async () => {
  for (const a of agents) await stopProcess(a, 'SIGKILL');
  await app?.close();
  cleanConfig();
  await store?.close();
  await etcd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const VM = `apiVersion: hvs/v1
kind: VirtualMachine
metadata:
  name: doomed
spec:
  cpu: {cores: 1}
  memory: {size: 64MiB}
  disks: [{name: root, size: 16MiB}]
  networks: []
  runState: Running
`;

describe('VM deletion across an agent killed with SIGKILL during the clean-up', () => {
  it('stays pending while the agent is down and completes after it restarts: the volume file goes, then the VM', async () => {
    etcd = await startEtcd();
    const made = testConfig({ HVS_ETCD_ENDPOINTS: etcd.endpoint, HVS_LEASE_TTL: '3s', HVS_HEARTBEAT_INTERVAL: '1s' });
    cleanConfig = made.cleanup;
    app = await createApp(made.config, { logger: capturedLogger('warn').logger, controlLoops: true });
    // The controller seals VMs with the key in its data dir: the test reads them with the same key.
    store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000, transformer: new EnvelopeTransformer(KeyRing.loadOrCreate(made.config.dataDir)) });
    const controller = app.get(GrpcApiServer).address;
    const resources = app.get(ResourceService);
    const s = store;

    dir = mkdtempSync(join(tmpdir(), 'hvs-delete-kill-'));
    const poolDir = join(dir, 'pool');
    const stateDir = join(dir, 'state');
    mkdirSync(poolDir);
    const port = await freePort();
    const token = await app.get(ClusterPki).tokens.create({ nodeName: 'node-k' });
    writeFileSync(join(dir, 'join-token'), `${token.token}\n`, { mode: 0o600 });
    const start = (slowShutdown: boolean) => {
      const child = spawnTracked(process.execPath, [AGENT_CHILD], {
        env: {
          ...process.env, HVS_TEST_FAKE_HYPERVISOR: '1', HVS_TEST_FAKE_SHUTDOWN_IGNORED: slowShutdown ? '1' : '0', HVS_AGENT_SHUTDOWN_TIMEOUT_MS: '600000',
          HVS_NODE_NAME: 'node-k', HVS_AGENT_LISTEN: `127.0.0.1:${port}`, HVS_AGENT_ADVERTISE: `127.0.0.1:${port}`,
          HVS_JOIN: controller, HVS_JOIN_TOKEN_FILE: join(dir!, 'join-token'), HVS_AGENT_STATE_DIR: stateDir,
          HVS_AGENT_POOLS: `default=${poolDir}`, HVS_AGENT_METRICS_LISTEN: 'off', HVS_AGENT_HEARTBEAT_MS: '500', HVS_LOG_LEVEL: 'warn',
        },
      });
      agents.push(child);
      return { child, output: captureOutput(child) };
    };
    const ready = (want: boolean, output: () => string) => waitFor(async () => {
      const n = await s.get<Node>('Node', 'node-k').catch(() => undefined);
      return n && (condition(n, 'Ready')?.status === 'True') === want && n.spec.address ? n : undefined;
    }, { what: `node-k Ready=${want} (agent output: ${output()})`, timeoutMs: 60_000 });
    const volumes = () => readdirSync(poolDir).filter((f) => f.startsWith('hvs-'));
    const removing = () => (JSON.parse(readFileSync(join(stateDir, 'assignment.json'), 'utf8')) as { removing: string[] }).removing;

    const first = start(true);
    await ready(true, first.output);
    await resources.apply([{ content: VM }], {}, ctx);
    const vm = await waitFor(async () => {
      const v = await s.get<VirtualMachine>('VirtualMachine', 'doomed');
      return v.status?.phase === 'Running' ? v : undefined;
    }, { what: `doomed Running (agent output: ${first.output()})`, timeoutMs: 30_000 });
    const uid = vm.metadata.uid!;
    expect(vm.metadata.finalizers).toEqual([VM_HOST_CLEANUP]);
    expect(volumes()).toEqual([`hvs-${uid}-root.qcow2`]);

    const res = await resources.delete('vm', 'doomed', {}, ctx);
    expect(res.gone).toBe(false);
    // The agent accepted the assignment without the VM (persisted as removing) and hangs in its shutdown.
    await waitFor(() => existsSync(join(stateDir, 'assignment.json')) && removing().includes(uid), { what: 'the agent removing the VM' });
    await waitFor(async () => condition(await s.get<VirtualMachine>('VirtualMachine', 'doomed'), 'Deleting')?.reason === 'AwaitingNodeCleanup', { what: 'Deleting=AwaitingNodeCleanup' });

    await stopProcess(first.child, 'SIGKILL');
    // Down: the lease runs out, the deletion stays pending and says why; nothing was cleaned up.
    await ready(false, first.output);
    const pending = await waitFor(async () => {
      const v = await s.get<VirtualMachine>('VirtualMachine', 'doomed');
      return condition(v, 'Deleting')?.reason === 'NodeNotReady' ? v : undefined;
    }, { what: 'Deleting=NodeNotReady while the agent is down' });
    expect(pending.metadata.finalizers).toEqual([VM_HOST_CLEANUP]);
    expect(removing()).toEqual([uid]);
    expect(volumes()).toEqual([`hvs-${uid}-root.qcow2`]);

    const second = start(false);
    await waitFor(async () => (await s.getMany([{ kind: 'VirtualMachine', name: 'doomed' }]))[0] === undefined,
      { what: `doomed gone after the restart (agent output: ${second.output()})`, timeoutMs: 60_000 });
    expect(volumes()).toEqual([]);
    expect(removing()).toEqual([]);
  });
});
