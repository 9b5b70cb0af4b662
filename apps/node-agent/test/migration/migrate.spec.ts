import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { join } from 'node:path';
import { domainName } from '@hvs/domain';
import { agentv1, hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { createAgent, type Agent } from '../../src/agent/agent';
import { loadAgentConfig } from '../../src/config/config';
import { FakeHypervisorDriver } from '../../src/hypervisor';
import { agentClient, WatchView } from '../support/agent-client';
import { assignRequest, tempDir, testVm, until } from '../support/fixtures';
import { migrate, uid } from './migrate-call';

interface Host {
  agent: Agent;
  driver: FakeHypervisorDriver;
  client: ReturnType<typeof agentClient>;
  watch: WatchView;
}

jest.setTimeout(30_000);

describe('Agent.Migrate (source side) on fake hypervisors over real gRPC', () => {
  const peers = new Map<string, FakeHypervisorDriver>();
  let dir: string;
  let cleanup: () => Promise<void>;
  let a: Host;
  let b: Host;

  async function host(name: string): Promise<Host> {
    const driver = new FakeHypervisorDriver({ uri: `fake://${name}`, peers });
    const pool = join(dir, name, 'pool');
    const agent = createAgent(loadAgentConfig({
      HVS_NODE_NAME: name, HVS_AGENT_STATE_DIR: join(dir, name, 'state'), HVS_AGENT_POOLS: `default=${pool}`, HVS_AGENT_LISTEN: '127.0.0.1:0',
      HVS_AGENT_METRICS_LISTEN: 'off', HVS_LOG_LEVEL: 'silent',
    }), { driver, choice: { uri: driver.uri, mode: 'qemu', domainType: 'qemu', reason: 'test' } });
    await agent.start();
    const client = agentClient(agent.address);
    return { agent, driver, client, watch: new WatchView(client.raw) };
  }

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('hvs-migrate-'));
    a = await host('node-a');
    b = await host('node-b');
  });
  afterAll(async () => {
    for (const h of [a, b]) {
      h?.watch.cancel();
      h?.client.close();
      await h?.agent.stop();
      await h?.driver.close();
    }
    await cleanup?.();
  });

  it('moves a running VM: progress then Completed with downtime; the source neither restarts it nor reports it; copied disks are deleted here', async () => {
    const vm = testVm('web-1', uid(1), { disks: [{ name: 'root', size: '16MiB' }] });
    await a.client.assign(assignRequest([vm], 1, 10, 'node-a'));
    await until('web-1 Running on node-a', () => a.watch.phases()['web-1'] === 'Running');
    const r = await migrate(a.agent.address, { vmUid: uid(1), vmName: 'web-1', targetUri: 'fake://node-b', fencingToken: 10, copyStorage: true, bandwidthBytesPerSecond: 100 * 1024 * 1024 + 1 });
    expect(r.error).toBeUndefined();
    // libvirt's --bandwidth is whole MiB/s: a limit is rounded up, never down to "no limit".
    expect(a.driver.migrateCalls.at(-1)).toMatchObject({ name: domainName(uid(1)), destUri: 'fake://node-b', opts: { copyStorage: true, bandwidthMiBs: 101 } });
    expect(r.items[0]!.phase).toBe('Preparing');
    expect(r.items.some((p) => p.phase === 'Copying' && p.dataTotal > 0)).toBe(true);
    expect(r.items.at(-1)).toMatchObject({ phase: 'Completed', downtimeMs: 30, dataRemaining: 0 });
    expect(await b.driver.get(domainName(uid(1)))).toMatchObject({ state: 'running' });
    // Still in node-a's assignment (the controller has not flipped yet): a resync must not bring it back.
    await a.agent.resync();
    await until('web-1 no longer reported by node-a', () => !a.watch.vms.has(uid(1)));
    expect(await a.driver.get(domainName(uid(1)))).toBeUndefined();
    expect(await a.agent.volumes.deleteOwned(uid(1))).toEqual([]);
    expect(a.agent.departures.held(uid(1))).toBe('departed');
    // A repeated call (a controller that lost the stream) answers Completed at once.
    expect((await migrate(a.agent.address, { vmUid: uid(1), targetUri: 'fake://node-b', fencingToken: 10 })).items.at(-1)!.phase).toBe('Completed');
    // The assignment drops it: the hold goes, the domain on the target is untouched.
    await a.client.assign(assignRequest([], 2, 11, 'node-a'));
    await until('departure forgotten', () => a.agent.departures.held(uid(1)) === undefined);
    expect(await b.driver.get(domainName(uid(1)))).toMatchObject({ state: 'running' });
  });

  it('a failed migration leaves the VM running on the source and ends with Failed: libvirt text, why and fix', async () => {
    const vm = testVm('web-2', uid(2));
    await a.client.assign(assignRequest([vm], 3, 12, 'node-a'));
    await until('web-2 Running on node-a', () => a.watch.phases()['web-2'] === 'Running');
    a.driver.failNext('migrate', Object.assign(new Error('x'), { code: 'HVS-LIBVIRT-MIGRATE-NO-POOL' }));
    const { HvsError } = await import('@hvs/domain');
    a.driver.failNext('migrate', new HvsError({ code: 'HVS-LIBVIRT-MIGRATE-UNREACHABLE', category: 'Unavailable', message: 'unable to connect to server at node-b:16509', why: 'Connection refused', fix: 'open port 16509' }));
    // The first injected fault is a plain Error: it still ends as a Failed message, not a broken stream.
    const first = await migrate(a.agent.address, { vmUid: uid(2), vmName: 'web-2', targetUri: 'fake://node-b', fencingToken: 12 });
    expect(first.error).toBeUndefined();
    expect(first.items.at(-1)).toMatchObject({ phase: 'Failed', error: { code: 'HVS-LIBVIRT-MIGRATE-FAILED' } });
    const r = await migrate(a.agent.address, { vmUid: uid(2), vmName: 'web-2', targetUri: 'fake://node-b', fencingToken: 12 });
    expect(a.driver.migrateCalls.at(-1)!.opts.bandwidthMiBs).toBeUndefined();
    expect(r.items.at(-1)).toMatchObject({ phase: 'Failed', error: { code: 'HVS-LIBVIRT-MIGRATE-UNREACHABLE', message: 'unable to connect to server at node-b:16509', why: 'Connection refused', fix: 'open port 16509' } });
    expect(await a.driver.get(domainName(uid(2)))).toMatchObject({ state: 'running' });
    expect(await b.driver.get(domainName(uid(2)))).toBeUndefined();
    expect(a.agent.departures.held(uid(2))).toBeUndefined();
    expect(a.watch.phases()['web-2']).toBe('Running');
  });

  it('refuses before starting: stale fencing token, VM not here, offline mode, no target', async () => {
    const cases: [Partial<agentv1.MigrateRequest>, string, status][] = [
      [{ vmUid: uid(2), targetUri: 'fake://node-b', fencingToken: 11 }, 'HVS-AGENT-FENCING-TOKEN-STALE', status.FAILED_PRECONDITION],
      [{ vmUid: uid(9), targetUri: 'fake://node-b', fencingToken: 12 }, 'HVS-AGENT-VM-NOT-FOUND', status.NOT_FOUND],
      [{ vmUid: uid(2), targetUri: 'fake://node-b', fencingToken: 12, mode: v1.MigrationMode.OFFLINE }, 'HVS-AGENT-MIGRATE-OFFLINE', status.INVALID_ARGUMENT],
      [{ vmUid: uid(2), targetUri: '', fencingToken: 12 }, 'HVS-AGENT-MIGRATE-TARGET', status.INVALID_ARGUMENT],
    ];
    for (const [req, code, grpcStatus] of cases) {
      const r = await migrate(a.agent.address, req);
      expect(r.items).toEqual([]);
      expect(r.error).toMatchObject({ code: grpcStatus });
      expect(hvsErrorFromServiceError(r.error)).toMatchObject({ code });
    }
    expect(await a.driver.get(domainName(uid(2)))).toMatchObject({ state: 'running' });
  });

  it('AbortMigration mid-copy: libvirt\'s job is aborted, the stream ends Failed/HVS-LIBVIRT-MIGRATE-CANCELLED, the VM keeps running here and is reported again', async () => {
    const vm = testVm('web-3', uid(3));
    await a.client.assign(assignRequest([vm], 4, 13, 'node-a'));
    await until('web-3 Running on node-a', () => a.watch.phases()['web-3'] === 'Running');
    a.driver.migrationPassMs = 60_000;
    try {
      const running = migrate(a.agent.address, { vmUid: uid(3), vmName: 'web-3', targetUri: 'fake://node-b', fencingToken: 13, migration: 'web-3-x' });
      await until('the migration under way', () => a.agent.departures.held(uid(3)) !== undefined);
      const abort = (req: Partial<agentv1.AbortMigrationRequest>) => new Promise<agentv1.AbortMigrationResponse>((resolve, reject) => a.client.raw.abortMigration(
        agentv1.AbortMigrationRequest.fromPartial(req), new Metadata(), { deadline: new Date(Date.now() + 5_000) }, (e: ServiceError | null, r?: agentv1.AbortMigrationResponse) => (e ? reject(e) : resolve(r!))));
      // A deposed controller's token is refused and aborts nothing.
      await expect(abort({ vmUid: uid(3), migration: 'web-3-x', fencingToken: 12 })).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
      const aborted = await until('libvirt job running', async () => abort({ vmUid: uid(3), migration: 'web-3-x', fencingToken: 13 }).then((r) => r.jobAborted && r, () => undefined));
      expect(aborted.jobAborted).toBe(true);
      const r = await running;
      expect(r.error).toBeUndefined();
      expect(r.items.at(-1)).toMatchObject({ phase: 'Failed', error: { code: 'HVS-LIBVIRT-MIGRATE-CANCELLED' } });
      expect(await a.driver.get(domainName(uid(3)))).toMatchObject({ state: 'running' });
      expect(await b.driver.get(domainName(uid(3)))).toBeUndefined();
      expect(a.agent.departures.held(uid(3))).toBeUndefined();
      expect(a.watch.phases()['web-3']).toBe('Running');
      // Nothing runs any more: NOT_FOUND with the code the controller treats as "it already ended".
      const gone = await abort({ vmUid: uid(3), migration: 'web-3-x', fencingToken: 13 }).catch((e: ServiceError) => e);
      expect(gone).toMatchObject({ code: status.NOT_FOUND });
      expect(hvsErrorFromServiceError(gone)).toMatchObject({ code: 'HVS-AGENT-MIGRATION-NOT-RUNNING' });
    } finally {
      a.driver.migrationPassMs = undefined;
    }
  });
});
