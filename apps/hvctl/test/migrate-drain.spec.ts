/**
 * `hvctl migrate` and `hvctl drain` over real gRPC against a small fake controller that serves
 * only what they call (MigrateVm, Get of the Migration, Drain), scripted per test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import { toProtoObject, toServiceError, v1 } from '@hvs/proto';
import { runCli } from '../src/cli';
import { fakeIo, type FakeIo } from './fake-io';

interface Script {
  migrate: v1.MigrateVmRequest[];
  cancels: v1.CancelMigrationRequest[];
  cancelError?: HvsError;
  migrateError?: HvsError;
  /** Migration statuses returned by successive Gets (the last one repeats). */
  statuses: object[];
  drains: v1.DrainRequest[];
}

let server: Server;
let address = '';
let tmp: string;
let script: Script;

const estimate: v1.MigrationEstimate = { memoryBytes: 2 * 1024 ** 3, dirtyRateBps: 4 * 1024 ** 2, bandwidthBps: 125_000_000, durationMs: 18_400, downtimeMs: 45, notes: ['mode live', 'link bandwidth assumed 119.2 MiB/s (1 Gbit/s)'] };
const plan: v1.DrainPlan = {
  node: 'node-b',
  items: [
    { vm: 'web-1', action: v1.DrainAction.MIGRATE, targetNode: 'node-a', mode: v1.MigrationMode.OFFLINE, reason: 'node-b cannot live-migrate (libvirt test driver): moved offline' },
    { vm: 'gpu', action: v1.DrainAction.BLOCKED, targetNode: '', mode: v1.MigrationMode.UNSPECIFIED, reason: 'PCI passthrough device gpu0 (0000:00:02.0): the device belongs to this host' },
  ],
};

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-migrate-'));
  script = { migrate: [], cancels: [], statuses: [{ phase: 'Running', progress: { bytesTotal: 100, bytesDone: 50, dirtyRate: 0, iteration: 1 } }, { phase: 'Succeeded', targetNode: 'node-b', downtimeMs: 42, durationMs: 1300 }], drains: [] };
  server = new Server();
  const vms: Partial<v1.VmServiceServer> = {
    migrate(call, cb) {
      script.migrate.push(call.request);
      if (script.migrateError) return cb(toServiceError(script.migrateError));
      cb(null, {
        sourceNode: 'node-a', targetNode: 'node-b', estimate,
        migration: call.request.dryRun ? undefined : toProtoObject({ apiVersion: 'hvs/v1', kind: 'Migration', metadata: { name: 'web-1-abc' }, spec: { vm: 'web-1', mode: 'live' } } as never),
      });
    },
  };
  vms.cancelMigration = (call, cb) => {
    script.cancels.push(call.request);
    if (script.cancelError) return cb(toServiceError(script.cancelError));
    cb(null, { migration: toProtoObject({ apiVersion: 'hvs/v1', kind: 'Migration', metadata: { name: 'web-1-abc' }, spec: { vm: 'web-1', mode: 'live', cancel: true } } as never) });
  };
  const resources: Partial<v1.ResourceServiceServer> = {
    get(call, cb) {
      const status = script.statuses.length > 1 ? script.statuses.shift() : script.statuses[0];
      cb(null, toProtoObject({ apiVersion: 'hvs/v1', kind: 'Migration', metadata: { name: call.request.name }, spec: { vm: 'web-1', mode: 'live' }, status } as never));
    },
  };
  const nodes: Partial<v1.NodeServiceServer> = {
    drain(call: ServerWritableStream<v1.DrainRequest, v1.DrainEvent>) {
      script.drains.push(call.request);
      call.write({ event: { $case: 'plan', value: plan } });
      if (call.request.execute) {
        call.write({ event: { $case: 'vm', value: { vm: 'web-1', migration: 'web-1-x', phase: 'Succeeded', dataTotal: 0, dataProcessed: 0, error: undefined } } });
        call.write({ event: { $case: 'done', value: { moved: 1, failed: 0, blocked: 1, cordoned: true } } });
      }
      call.end();
    },
  };
  server.addService(v1.VmServiceService, vms as v1.VmServiceServer);
  server.addService(v1.ResourceServiceService, resources as v1.ResourceServiceServer);
  server.addService(v1.NodeServiceService, nodes as v1.NodeServiceServer);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  address = `127.0.0.1:${port}`;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function hvctl(args: string[], opts: { tty?: boolean; confirm?: (q: string) => Promise<boolean> } = {}): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo({ env: { HOME: tmp }, tty: opts.tty });
  if (opts.confirm) io.confirm = opts.confirm;
  const code = await runCli(['--server', address, ...args], io);
  return { code, io };
}

describe('hvctl migrate', () => {
  it('--dry-run prints the estimate with its assumptions and creates nothing', async () => {
    const { code, io } = await hvctl(['migrate', 'web-1', '--dry-run', '--to', 'node-b', '--mode', 'live', '--max-downtime', '100ms']);
    expect(code).toBe(0);
    expect(script.migrate).toEqual([expect.objectContaining({ vm: 'web-1', targetNode: 'node-b', mode: v1.MigrationMode.LIVE, maxDowntimeMs: 100, dryRun: true })]);
    expect(io.stdout()).toBe('virtualmachine/web-1: node-a -> node-b\n  estimate: 18.4s total, 45 ms downtime (2GiB memory, dirty 4MiB/s, link 119.2MiB/s)\n  - mode live\n  - link bandwidth assumed 119.2 MiB/s (1 Gbit/s)\n');
  });

  it('follows the Migration (lines without a terminal) and ends with downtime and total time', async () => {
    const { code, io } = await hvctl(['migrate', 'web-1']);
    expect(code).toBe(0);
    expect(io.stderr()).toContain('[##########----------]  50% 50B/100B dirty 0B/s pass 1\n');
    expect(io.stdout()).toMatch(/migration\/web-1-abc created\nvirtualmachine\/web-1 migrated to node-b: downtime 42 ms, total 1\.3s\n$/);
  });

  it('a failed migration prints the reason and exits 1', async () => {
    script.statuses = [{ phase: 'Failed', reason: 'MigrationFailed', message: 'HVS-LIBVIRT-MIGRATE-UNREACHABLE: unable to connect (the VM keeps running on node-a)', durationMs: 900 }];
    const { code, io } = await hvctl(['migrate', 'web-1']);
    expect(code).toBe(1);
    expect(io.stderr()).toBe('error: migration/web-1-abc failed after 0.9s: MigrationFailed: HVS-LIBVIRT-MIGRATE-UNREACHABLE: unable to connect (the VM keeps running on node-a)\n');
  });

  it('--bandwidth reaches the controller in bytes/s; a bad one is a usage error and nothing is sent', async () => {
    expect((await hvctl(['migrate', 'web-1', '--dry-run', '--bandwidth', '1Gbit'])).code).toBe(0);
    expect(script.migrate.map((r) => r.bandwidthLimitBytesPerSecond)).toEqual([125_000_000]);
    const bad = await hvctl(['migrate', 'web-1', '--bandwidth', 'fast']);
    expect(bad.code).toBe(1);
    expect(bad.io.stderr()).toMatch(/HVS-CLI-USAGE: --bandwidth "fast" is not a bandwidth/);
    expect(script.migrate).toHaveLength(1);
  });

  it('--copy-storage / --no-copy-storage reach the controller as true / false; without either it is unset (the controller decides)', async () => {
    for (const flag of ['--copy-storage', '--no-copy-storage']) expect((await hvctl(['migrate', 'web-1', '--dry-run', flag])).code).toBe(0);
    expect((await hvctl(['migrate', 'web-1', '--dry-run'])).code).toBe(0);
    expect(script.migrate.map((r) => r.copyStorage)).toEqual([true, false, undefined]);
  });

  it('a refused migration shows the controller\'s error; a bad --mode is a usage error', async () => {
    script.migrateError = new HvsError({ code: 'HVS-MIGRATION-PASSTHROUGH', category: 'FailedPrecondition', message: 'VM gpu cannot be migrated', why: 'PCI passthrough device gpu0', fix: 'stop the VM' });
    const r = await hvctl(['migrate', 'gpu']);
    expect(r.code).toBe(1);
    expect(r.io.stderr()).toBe('error: HVS-MIGRATION-PASSTHROUGH: VM gpu cannot be migrated: PCI passthrough device gpu0; fix: stop the VM\n');
    const u = await hvctl(['migrate', 'gpu', '--mode', 'teleport']);
    expect(u.code).toBe(1);
    expect(u.io.stderr()).toMatch(/HVS-CLI-USAGE: --mode "teleport" is not a migration mode/);
  });
});

describe('hvctl migrate --cancel', () => {
  it('asks the controller to cancel the VM\'s migration, follows it and says where the VM stays', async () => {
    script.statuses = [{ phase: 'Running', progress: { bytesTotal: 100, bytesDone: 30, dirtyRate: 0, iteration: 1 } }, { phase: 'Failed', reason: 'Cancelled', sourceNode: 'node-a', targetNode: 'node-b', durationMs: 2100 }];
    const { code, io } = await hvctl(['migrate', 'web-1', '--cancel']);
    expect(code).toBe(0);
    expect(script.cancels).toEqual([{ vm: 'web-1', migration: '' }]);
    expect(script.migrate).toEqual([]);
    expect(io.stdout()).toBe('migration/web-1-abc cancel requested\nmigration/web-1-abc cancelled after 2.1s: virtualmachine/web-1 stays on node-a\n');
  });

  it('too late (it completed first) exits 1 and says how to move back; a refusal shows the controller\'s error; other flags are a usage error', async () => {
    script.statuses = [{ phase: 'Succeeded', sourceNode: 'node-a', targetNode: 'node-b', durationMs: 900 }];
    const late = await hvctl(['migrate', 'web-1', '--cancel']);
    expect(late.code).toBe(1);
    expect(late.io.stderr()).toBe('error: migration/web-1-abc completed before the cancel took effect: virtualmachine/web-1 is on node-b; migrate it back with hvctl migrate web-1 --to node-a\n');
    script.cancelError = new HvsError({ code: 'HVS-MIGRATION-NONE', category: 'NotFound', message: 'VM web-1 is not migrating', why: 'it has no Pending or Running Migration', fix: 'see its past migrations' });
    const none = await hvctl(['migrate', 'web-1', '--cancel']);
    expect(none.code).toBe(1);
    expect(none.io.stderr()).toBe('error: HVS-MIGRATION-NONE: VM web-1 is not migrating: it has no Pending or Running Migration; fix: see its past migrations\n');
    const usage = await hvctl(['migrate', 'web-1', '--cancel', '--to', 'node-b']);
    expect(usage.code).toBe(1);
    expect(usage.io.stderr()).toMatch(/HVS-CLI-USAGE: --cancel takes no other migration flag \(got --to\)/);
    expect(script.cancels).toHaveLength(2);
  });
});

describe('hvctl drain', () => {
  it('without a terminal and without --yes: prints the plan, refuses with a clear error, executes nothing', async () => {
    const { code, io } = await hvctl(['drain', 'node-b']);
    expect(code).toBe(1);
    expect(io.stdout()).toMatch(/VM\s+ACTION\s+TARGET\s+MODE\s+NOTES\nweb-1\s+migrate\s+node-a\s+offline\s+node-b cannot live-migrate.*\ngpu\s+CANNOT MOVE\s+-\s+-\s+PCI passthrough device gpu0/);
    expect(io.stderr()).toMatch(/HVS-CLI-CONFIRM-NEEDED: refusing to drain node node-b without confirmation: standard input is not a terminal.*--yes/);
    expect(script.drains.map((d) => d.execute)).toEqual([false]);
  });

  it('asks on a terminal; "no" changes nothing, "yes" drains and prints progress and the summary', async () => {
    const asked: string[] = [];
    const no = await hvctl(['drain', 'node-b'], { confirm: async (q) => (asked.push(q), false) });
    expect(no.code).toBe(1);
    expect(asked).toEqual(['Cordon node-b and move 1 VM (1 cannot move and stay)?']);
    expect(script.drains.map((d) => d.execute)).toEqual([false]);
    const yes = await hvctl(['drain', 'node-b'], { confirm: async () => true });
    expect(yes.code).toBe(0);
    expect(yes.io.stdout()).toMatch(/virtualmachine\/web-1 Succeeded \(migration\/web-1-x\)\nnode\/node-b drained: 1 moved, 0 failed, 1 cannot move; node-b is cordoned \(hvctl uncordon node-b ends maintenance\)\n$/);
  });

  it('--yes skips the question and passes --max-parallel', async () => {
    const { code } = await hvctl(['drain', 'node-b', '--yes', '--max-parallel', '2']);
    expect(code).toBe(0);
    expect(script.drains.map((d) => [d.execute, d.maxParallel])).toEqual([[false, 0], [true, 2]]);
  });
});
