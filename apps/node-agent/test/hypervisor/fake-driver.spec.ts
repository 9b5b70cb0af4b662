import { FakeClock } from '@hvs/reconcile';
import { FakeHypervisorDriver, isBackingUp, isMigratable, isSnapshotting, type DomainEvent, type MigrationProgress } from '../../src/hypervisor';
import { describeHypervisorDriverContract } from './contract';

const xml = (name: string, memoryMiB = 64): string =>
  `<domain type='test'><name>${name}</name><memory unit='MiB'>${memoryMiB}</memory><os><type>hvm</type></os></domain>`;

describeHypervisorDriverContract('FakeHypervisorDriver', async () => {
  const driver = new FakeHypervisorDriver();
  return { driver, domainXml: xml, shutdownTimeoutMs: 1000, deadlineMs: 2000, cleanup: () => driver.close() };
});

describe('FakeHypervisorDriver knobs (FakeClock)', () => {
  let clock: FakeClock;
  let fake: FakeHypervisorDriver;
  beforeEach(async () => {
    clock = new FakeClock(1_000);
    fake = new FakeHypervisorDriver({ clock });
    await fake.define('vm1', xml('vm1'));
  });
  afterEach(() => fake.close());

  it('failNext fails exactly the next call of that operation', async () => {
    fake.failNext('start');
    await expect(fake.start('vm1')).rejects.toMatchObject({ code: 'HVS-LIBVIRT-FAILED', fix: expect.any(String) });
    await fake.start('vm1');
    expect((await fake.get('vm1'))?.state).toBe('running');
  });

  it('failNext takes a custom error', async () => {
    const err = new Error('pool full');
    fake.failNext('define', err);
    await expect(fake.define('vm2', xml('vm2'))).rejects.toBe(err);
    expect(await fake.get('vm2')).toBeUndefined();
  });

  it('bootDelayMs: the domain runs only once the clock passes the delay', async () => {
    fake.bootDelayMs = 5_000;
    let started = false;
    const p = fake.start('vm1').then(() => (started = true));
    await clock.advance(4_999);
    expect(started).toBe(false);
    expect((await fake.get('vm1'))?.state).toBe('shutoff');
    await clock.advance(1);
    await p;
    expect((await fake.get('vm1'))?.state).toBe('running');
  });

  it('crashAfterMs: a started domain crashes and emits crashed; a restart is a new boot', async () => {
    fake.crashAfterMs = 10_000;
    const it = fake.events()[Symbol.asyncIterator]();
    await fake.start('vm1');
    await clock.advance(9_999);
    expect((await fake.get('vm1'))?.state).toBe('running');
    await clock.advance(1);
    expect((await fake.get('vm1'))?.state).toBe('crashed');
    const seen: DomainEvent[] = [];
    for (let i = 0; i < 2; i++) seen.push((await it.next()).value as DomainEvent);
    expect(seen.map((e) => e.type)).toEqual(['started', 'crashed']);
    expect(seen[1].at).toBe(11_000);
    await it.return?.();
  });

  it('a destroy before crashAfterMs cancels that crash', async () => {
    fake.crashAfterMs = 100;
    await fake.start('vm1');
    await fake.destroy('vm1');
    await clock.advance(100);
    expect((await fake.get('vm1'))?.state).toBe('shutoff');
  });

  it('shutdownIgnored: shutdown waits the whole timeout, then destroys', async () => {
    fake.shutdownIgnored = true;
    await fake.start('vm1');
    let done = false;
    const p = fake.shutdown('vm1', { timeoutMs: 30_000 }).then(() => (done = true));
    await clock.advance(29_999);
    expect(done).toBe(false);
    expect((await fake.get('vm1'))?.state).toBe('running');
    await clock.advance(1);
    await p;
    expect((await fake.get('vm1'))?.state).toBe('shutoff');
  });

  it('stats: cpu time grows with clock time while running', async () => {
    await fake.start('vm1');
    await clock.advance(2_000);
    const s = await fake.stats('vm1');
    expect(s.cpuTimeNs).toBe(2_000 * 1e6);
    expect(s.memoryBytes).toBe(64 * 1024 * 1024);
  });

  it('abilities: migrate and snapshot, not backup', () => {
    expect(isMigratable(fake)).toBe(true);
    expect(isSnapshotting(fake)).toBe(true);
    expect(isBackingUp(fake)).toBe(false);
  });

  it('migrates a running domain to a peer fake, which then runs it', async () => {
    const peers = new Map<string, FakeHypervisorDriver>();
    const src = new FakeHypervisorDriver({ clock, peers, uri: 'fake://a' });
    const dst = new FakeHypervisorDriver({ clock, peers, uri: 'fake://b' });
    await src.define('vm1', xml('vm1'));
    await src.start('vm1');
    const progress: MigrationProgress[] = [];
    const run = (async () => {
      for await (const p of src.migrate('vm1', 'fake://b', { pollMs: 100 })) progress.push(p);
    })();
    await clock.advance(200);
    await run;
    expect(progress.at(-1)).toMatchObject({ phase: 'completed', dataRemainingBytes: 0 });
    expect(progress.filter((p) => p.phase === 'running').length).toBeGreaterThan(0);
    expect(await src.get('vm1')).toBeUndefined();
    expect((await dst.get('vm1'))?.state).toBe('running');
    await Promise.all([src.close(), dst.close()]);
  });

  it('refuses to live-migrate a stopped domain', async () => {
    const peers = new Map<string, FakeHypervisorDriver>();
    const src = new FakeHypervisorDriver({ clock, peers, uri: 'fake://a' });
    new FakeHypervisorDriver({ clock, peers, uri: 'fake://b' });
    await src.define('vm1', xml('vm1'));
    const it = src.migrate('vm1', 'fake://b')[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ code: 'HVS-LIBVIRT-INVALID-STATE' });
  });

  it('snapshots: create, list, refuse duplicates, delete', async () => {
    await fake.createSnapshot('vm1', 's1');
    await expect(fake.createSnapshot('vm1', 's1')).rejects.toMatchObject({ code: 'HVS-LIBVIRT-ALREADY-EXISTS' });
    expect((await fake.listSnapshots('vm1')).map((s) => s.name)).toEqual(['s1']);
    await fake.deleteSnapshot('vm1', 's1');
    await expect(fake.revertSnapshot('vm1', 's1')).rejects.toMatchObject({ code: 'HVS-LIBVIRT-SNAPSHOT-NOT-FOUND' });
  });

  it('a closed driver refuses calls and ends event subscriptions', async () => {
    const it = fake.events()[Symbol.asyncIterator]();
    await fake.close();
    expect((await it.next()).done).toBe(true);
    await expect(fake.list()).rejects.toMatchObject({ code: 'HVS-LIBVIRT-UNAVAILABLE' });
  });
});
