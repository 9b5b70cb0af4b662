/**
 * Live migration between two real libvirt daemons (two network + mount namespaces, QEMU/TCG)
 * through LibvirtDriver.migrate: the guest keeps running and its console tick counter carries on
 * at the target, the source forgets the domain, progress carries data figures, and the downtime
 * is recorded; an aborted migration leaves it running on the source. Its disk lives in each
 * host's own pool, so the migration copies it.
 * Opt-in: HVS_TEST_SYSTEM=1 as root (docs/system-tests.md).
 */
import { existsSync } from 'node:fs';
import { HvsError } from '@hvs/domain';
import { LibvirtDriver, type MigrationProgress } from '../../apps/node-agent/src/hypervisor';
import { waitFor } from '../harness/processes';
import { startTwoHosts, type TwoHosts } from '../harness/two-hosts';
import { runCommand } from '../harness/netns';
import { describeSystem } from './gate';
import { buildTinyGuest, createDisk, diskPath, lastTick, readSerial, tinyGuestXml } from './tiny-guest';

jest.setTimeout(120_000);

const NAME = 'hvs-sys-migrate';
const MEMORY_MIB = 128;

describeSystem('live migration between two libvirt hosts (TCG guest)', () => {
  let hosts: TwoHosts | undefined;
  let onA: LibvirtDriver;
  let onB: LibvirtDriver;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const files = await buildTinyGuest();
    let t0 = Date.now();
    hosts = await startTwoHosts();
    timings.hostsUpMs = Date.now() - t0;
    onA = new LibvirtDriver({ uri: hosts.a.uri, domainType: 'qemu' });
    onB = new LibvirtDriver({ uri: hosts.b.uri, domainType: 'qemu' });
    await createDisk(hosts.a, NAME);
    await onA.define(NAME, tinyGuestXml(NAME, files, MEMORY_MIB));
    t0 = Date.now();
    await onA.start(NAME);
    const a = hosts.a;
    // A few ticks, so "continued" cannot be confused with "just booted".
    await waitFor(async () => (await readSerial(a, NAME)).booted && lastTick(await readSerial(a, NAME)) >= 3,
      { what: `three ticks on ${NAME}'s console on host A`, timeoutMs: 60_000, intervalMs: 200 });
    timings.bootToThirdTickMs = Date.now() - t0;
  });

  afterAll(async () => {
    await onA?.close();
    await onB?.close();
    await hosts?.stop();
    console.log(`system live-migration timings (ms): ${JSON.stringify(timings)}`);
  });

  it('fails with HVS-LIBVIRT-MIGRATE-TARGET-UNREACHABLE while the target is partitioned, leaving the guest running on the source', async () => {
    const h = hosts!;
    await h.partition(h.b);
    let err: unknown;
    try {
      for await (const p of onA.migrate(NAME, h.b.tcpUri, { copyStorage: true, pollMs: 200 })) void p;
    } catch (e) {
      err = e;
    } finally {
      await h.heal(h.b);
    }
    expect(err).toBeInstanceOf(HvsError);
    expect(err).toMatchObject({ code: 'HVS-LIBVIRT-MIGRATE-TARGET-UNREACHABLE', message: expect.stringContaining(h.b.tcpUri) });
    expect((err as HvsError).fix).toMatch(/listen/);
    expect(await onA.get(NAME)).toMatchObject({ state: 'running', persistent: true });
    expect(await onB.get(NAME)).toBeUndefined();
  });

  it('an aborted migration (domjobabort mid-copy, bandwidth capped so it is still running) fails with HVS-LIBVIRT-MIGRATE-CANCELLED; the guest keeps running on A only', async () => {
    const h = hosts!;
    const before = lastTick(await readSerial(h.a, NAME));
    const t0 = Date.now();
    let abortedAt = 0;
    let aborted = false;
    let err: unknown;
    try {
      for await (const p of onA.migrate(NAME, h.b.tcpUri, { copyStorage: true, bandwidthMiBs: 1, pollMs: 200 })) {
        if (!aborted && p.phase === 'running' && (p.dataProcessedBytes ?? 0) > 0) {
          aborted = true;
          abortedAt = Date.now();
          await onA.abortMigration(NAME);
        }
      }
    } catch (e) {
      err = e;
    }
    timings.startToAbortMs = abortedAt - t0;
    timings.abortToFailedMs = Date.now() - abortedAt;
    expect(aborted).toBe(true);
    expect(err).toBeInstanceOf(HvsError);
    expect(err).toMatchObject({ code: 'HVS-LIBVIRT-MIGRATE-CANCELLED', why: expect.stringMatching(/abort|cancel/i) });
    expect(await onA.get(NAME)).toMatchObject({ state: 'running', persistent: true });
    expect(await onB.get(NAME)).toBeUndefined();
    // Nothing left to abort: libvirt says so, in our words.
    await expect(onA.abortMigration(NAME)).rejects.toBeInstanceOf(HvsError);
    const a = h.a;
    await waitFor(async () => lastTick(await readSerial(a, NAME)) > before, { what: `${NAME} still ticking on A after the abort`, timeoutMs: 10_000, intervalMs: 200 });
  });

  it('moves the running guest to B: ticks continue there, A forgets it, progress and downtime are reported', async () => {
    const h = hosts!;
    const before = lastTick(await readSerial(h.a, NAME));
    const progress: MigrationProgress[] = [];
    const t0 = Date.now();
    for await (const p of onA.migrate(NAME, h.b.tcpUri, {
      live: true, persistent: true, undefineSource: true, copyStorage: true, autoConverge: true,
      maxDowntimeMs: 100, pollMs: 200, statsUri: h.b.uri,
    })) progress.push(p);
    timings.migrateCallMs = Date.now() - t0;

    // Progress: samples while running, then exactly one 'completed', last.
    const running = progress.filter((p) => p.phase === 'running');
    const done = progress.at(-1)!;
    expect(running.length).toBeGreaterThan(0);
    expect(progress.filter((p) => p.phase === 'completed')).toEqual([done]);
    expect(done.phase).toBe('completed');
    const withData = progress.filter((p) => (p.dataTotalBytes ?? 0) > 0 && p.dataProcessedBytes !== undefined);
    expect(withData.length).toBeGreaterThan(0);
    expect(done.memoryTotalBytes).toBeGreaterThanOrEqual(MEMORY_MIB * 1024 * 1024);
    expect(done.diskTotalBytes).toBe(16 * 1024 * 1024);
    expect(done.dataRemainingBytes).toBe(0);
    expect(done.downtimeMs).toEqual(expect.any(Number));
    timings.jobElapsedMs = done.elapsedMs ?? -1;
    timings.downtimeMs = done.downtimeMs ?? -1;

    // The target's own record of the incoming job agrees on the downtime.
    const stats = await runCommand('virsh', ['-q', '-c', h.b.uri, 'domjobinfo', NAME, '--completed']);
    expect(stats.code).toBe(0);
    expect(Number(/Total downtime:\s+(\d+)\s*ms/.exec(stats.stdout)?.[1])).toBe(done.downtimeMs);

    // Where the domain is now.
    expect(await onA.get(NAME)).toBeUndefined();
    expect(await onB.get(NAME)).toMatchObject({ state: 'running', persistent: true });
    expect(existsSync(h.b.pathOnHost(diskPath(NAME)))).toBe(true);

    // The same guest keeps counting on B (B's console log is B's own file).
    const lastOnA = lastTick(await readSerial(h.a, NAME));
    const b = h.b;
    const onBLog = await waitFor(async () => {
      const log = await readSerial(b, NAME);
      return log.ticks.length >= 2 ? log : undefined;
    }, { what: `two ticks on ${NAME}'s console on host B`, timeoutMs: 30_000, intervalMs: 200 });
    expect(onBLog.booted).toBe(false);
    expect(onBLog.ticks[0]).toBeGreaterThan(lastOnA);
    expect(onBLog.ticks[0]).toBeLessThanOrEqual(lastOnA + 2);
    expect(lastTick(onBLog)).toBeGreaterThan(before);
    expect(onBLog.ticks).toEqual([...onBLog.ticks].sort((x, y) => x - y));
    expect(onBLog.ticks).not.toContain(1);
  });
}, { libvirtBinding: true });
