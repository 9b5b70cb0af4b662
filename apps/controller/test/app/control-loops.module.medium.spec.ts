import type { VirtualMachine } from '@hvs/domain';
import type { INestApplication } from '@nestjs/common';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { createApp } from '../../src/app';
import { ControlLoopsLifecycle } from '../../src/app/control-loops.module';
import { EnvelopeTransformer, EtcdStore, KeyRing } from '../../src/store';
import { LEADER_KEY } from '../../src/leader';
import { NodeLeases } from '../../src/leases';
import { Metrics } from '../../src/observability';
import { capturedLogger, testConfig } from './fixtures';
import { awaitObject, nodeDoc, vmDoc } from '../runtime/fixtures';

// The whole Nest app on real etcd; waits have their own deadlines.
jest.setTimeout(40_000);

let etcd: EtcdInstance;
let store: EtcdStore;
let app: INestApplication | undefined;
let cleanup = () => undefined as void;

beforeAll(async () => {
  etcd = await startEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
});
afterAll(async () => {
  await app?.close();
  cleanup();
  await store?.close();
  await etcd?.stop();
});

describe('ControlLoopsModule in the controller app (real etcd)', () => {
  it('campaigns on bootstrap, binds a pending VM once leading, counts reconciles in /metrics, and resigns on close', async () => {
    const made = testConfig({ HVS_ETCD_ENDPOINTS: etcd.endpoint });
    cleanup = made.cleanup;
    // VMs are encrypted at rest: this test's own store reads them with the app's key file.
    await store.close();
    store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000, transformer: new EnvelopeTransformer(KeyRing.loadOrCreate(made.config.dataDir)) });
    app = await createApp(made.config, { logger: capturedLogger('warn').logger, controlLoops: true });
    const lifecycle = app.get(ControlLoopsLifecycle);
    await waitFor(() => lifecycle.elector.isLeader && lifecycle.loops.active, { what: 'leading with loops running', timeoutMs: 15_000 });

    await new NodeLeases({ connection: store.connection, ttlSeconds: 30 }).heartbeat('node-a');
    await store.create(nodeDoc('node-a'));
    await store.create(vmDoc('via-app'));
    expect(await awaitObject<VirtualMachine, string>(store, 'VirtualMachine', 'via-app', 'bound', (vm) => vm.status?.node)).toBe('node-a');
    const metrics = await app.get(Metrics).registry.metrics();
    expect(metrics).toMatch(/hvs_reconcile_total\{reconciler="vm-schedule",result="done"\} [1-9]/);

    await app.close();
    app = undefined;
    expect(lifecycle.loops.active).toBe(false);
    expect(await store.connection.client.get(LEADER_KEY).string()).toBeNull();
  });
});
