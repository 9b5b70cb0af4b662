import { randomUUID } from 'node:crypto';
import { HvsError } from '@hvs/domain';
import { SystemClock, type Clock } from '@hvs/reconcile';
import type {
  Ability, BlockResizing, DefineResult, DomainEvent, DomainEventType, DomainInfo, DomainState, DomainStats, HostFacts, HypervisorDriver,
  MigrateOptions, Migratable, MigrationProgress, ShutdownOptions, SnapshotInfo, Snapshotting,
} from './driver';
import type { DirtyRateSample, DirtyRateSampling } from './dirty-rate';
import type { GuestAddressReading, GuestNic } from './guest-addresses';
import { notFound } from './errors';
import { EventHub } from './event-hub';

/** Operations failNext() can target. */
export type FakeOp = 'hostFacts' | 'list' | 'get' | 'define' | 'start' | 'shutdown' | 'destroy' | 'undefine' | 'stats' | 'migrate' | 'snapshot' | 'dirtyRate' | 'guestAddresses' | 'blockResize';

export interface FakeDriverOptions {
  clock?: Clock;
  uri?: string;
  facts?: Partial<HostFacts>;
  /** Other fakes reachable by migrate(name, theirUri). Share one map between them. */
  peers?: Map<string, FakeHypervisorDriver>;
}

interface FakeDomain {
  name: string;
  uuid: string;
  xml: string;
  state: DomainState;
  /** Bumps on every start so a stale crash timer does not hit a later boot. */
  boot: number;
  startedAt: number;
  cpuTimeNs: number;
  snapshots: SnapshotInfo[];
}

/**
 * A behavioural in-memory hypervisor for reconciler tests (Nomad's mock driver): it keeps
 * domains and their states, emits the same events and errors as LibvirtDriver, and is steered by
 * knobs, not scripted calls. Time comes from the injected Clock, so tests need no sleeps.
 */
export class FakeHypervisorDriver implements HypervisorDriver, Migratable, Snapshotting, DirtyRateSampling, GuestAddressReading, BlockResizing {
  readonly abilities: ReadonlySet<Ability> = new Set<Ability>(['migrate', 'snapshot', 'dirty-rate', 'guest-addresses', 'block-resize']);
  /** Every blockResize() that succeeded: the disk and size asked for (the fake grows no file). */
  readonly blockResizes: { name: string; diskPath: string; bytes: number }[] = [];
  /** What the guest agent of each running domain answers, by domain name; absent: it does not answer (no agent in the guest). */
  readonly guestNics = new Map<string, GuestNic[]>();
  /** guestAddresses() calls, by domain name: how often the agent asked. */
  readonly guestAddressCalls = new Map<string, number>();
  /** What sampleDirtyRate() measures on a running domain, bytes/s. */
  dirtyRateBps = 4 * 1024 * 1024;
  readonly uri: string;
  /** start() takes this long (clock time) before the domain runs. */
  bootDelayMs = 0;
  /** A started domain crashes after this long (clock time); undefined: never. */
  crashAfterMs: number | undefined;
  /** The guest ignores ACPI: shutdown() destroys it after its timeout. */
  shutdownIgnored = false;

  /** Every migrate() call, in order: what a test checks the agent asked libvirt for. */
  readonly migrateCalls: { name: string; destUri: string; opts: MigrateOptions }[] = [];
  /** Each of a migration's two passes takes this long (clock time); default the caller's pollMs or 10 ms. */
  migrationPassMs: number | undefined;

  private readonly domains = new Map<string, FakeDomain>();
  /** Migrations in flight: abortMigration() aborts theirs. */
  private readonly migrating = new Map<string, AbortController>();
  private readonly failures = new Map<FakeOp, Error[]>();
  private readonly hub = new EventHub<DomainEvent>();
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly opts: FakeDriverOptions = {}) {
    this.clock = opts.clock ?? new SystemClock();
    this.uri = opts.uri ?? `fake://${randomUUID()}`;
    opts.peers?.set(this.uri, this);
  }

  /** The next call of `op` throws `err` (default: an HVS-LIBVIRT-FAILED error). Queues when called repeatedly. */
  failNext(op: FakeOp, err?: Error): void {
    const queue = this.failures.get(op) ?? [];
    queue.push(err ?? new HvsError({ code: 'HVS-LIBVIRT-FAILED', category: 'Internal', message: `libvirt ${op} failed on ${this.uri}`, why: 'injected by failNext', fix: 'none: test fault' }));
    this.failures.set(op, queue);
  }

  async hostFacts(): Promise<HostFacts> {
    this.gate('hostFacts');
    return {
      hostname: 'fake-host', cpus: 4, memoryBytes: 8 * 1024 ** 3, hugepages: [], kvmUsable: false, mode: 'test',
      uri: this.uri, pciDevices: [], iommuGroups: {}, libvirtVersion: 'fake', ...this.opts.facts,
    };
  }

  async list(): Promise<DomainInfo[]> {
    this.gate('list');
    return [...this.domains.values()].map(info);
  }

  async get(name: string): Promise<DomainInfo | undefined> {
    this.gate('get');
    const d = this.domains.get(name);
    return d && info(d);
  }

  async define(name: string, xml: string): Promise<DefineResult> {
    this.gate('define');
    const named = /<name>([^<]*)<\/name>/.exec(xml)?.[1];
    if (!/^\s*<domain[\s>][\s\S]*<\/domain>\s*$/.test(xml) || named !== name) {
      throw new HvsError({
        code: 'HVS-LIBVIRT-XML-INVALID', category: 'InvalidArgument',
        message: `domain XML for '${name}' refused by ${this.uri}`,
        why: named === undefined || named === name ? 'not a <domain> document' : `it names '${named}'`,
        fix: 'Render the XML with the same name that is passed to define().',
      });
    }
    const existing = this.domains.get(name);
    if (existing) {
      const changed = existing.xml !== xml;
      existing.xml = xml;
      this.emit('defined', name, 'Updated');
      return { info: info(existing), changed };
    }
    const uuid = /<uuid>([^<]*)<\/uuid>/.exec(xml)?.[1] ?? randomUUID();
    const d: FakeDomain = { name, uuid, xml, state: 'shutoff', boot: 0, startedAt: 0, cpuTimeNs: 0, snapshots: [] };
    this.domains.set(name, d);
    this.emit('defined', name, 'Added');
    return { info: info(d), changed: true };
  }

  async start(name: string): Promise<void> {
    this.gate('start');
    const d = this.must(name);
    if (d.state === 'running') return;
    if (d.state === 'paused') {
      d.state = 'running';
      this.emit('resumed', name, 'Unpaused');
      return;
    }
    const boot = ++d.boot;
    if (this.bootDelayMs > 0) await this.clock.sleep(this.bootDelayMs);
    if (this.domains.get(name) !== d || d.boot !== boot) return;
    d.state = 'running';
    d.startedAt = this.clock.now();
    this.emit('started', name, 'Booted');
    if (this.crashAfterMs !== undefined) {
      void this.clock.sleep(this.crashAfterMs).then(() => {
        if (this.domains.get(name) !== d || d.boot !== boot || d.state !== 'running') return;
        this.accrue(d);
        d.state = 'crashed';
        this.emit('crashed', name, 'Crashed');
      });
    }
  }

  async shutdown(name: string, opts: ShutdownOptions): Promise<void> {
    this.gate('shutdown');
    const d = this.must(name);
    if (d.state !== 'running' && d.state !== 'paused') return;
    if (this.shutdownIgnored) {
      await this.clock.sleep(opts.timeoutMs);
      await this.destroy(name);
      return;
    }
    this.accrue(d);
    d.state = 'shutoff';
    this.emit('stopped', name, 'Shutdown');
  }

  async destroy(name: string): Promise<void> {
    this.gate('destroy');
    const d = this.must(name);
    if (d.state !== 'running' && d.state !== 'paused') return;
    this.accrue(d);
    d.state = 'shutoff';
    d.boot++;
    this.emit('stopped', name, 'Destroyed');
  }

  async undefine(name: string): Promise<void> {
    this.gate('undefine');
    const d = this.domains.get(name);
    if (!d) return;
    if (d.state === 'running' || d.state === 'paused') {
      d.state = 'shutoff';
      this.emit('stopped', name, 'Destroyed');
    }
    this.domains.delete(name);
    this.emit('undefined', name, 'Removed');
  }

  async stats(name: string): Promise<DomainStats> {
    this.gate('stats');
    const d = this.must(name);
    const running = d.state === 'running';
    return {
      name, state: d.state, cpuTimeNs: d.cpuTimeNs + (running ? (this.clock.now() - d.startedAt) * 1e6 : 0),
      memoryBytes: running ? memoryBytesOf(d.xml) : 0, blockRdBytes: 0, blockWrBytes: 0, netRxBytes: 0, netTxBytes: 0, detail: 'basic',
    };
  }

  events(): AsyncIterable<DomainEvent> {
    return this.hub.subscribe();
  }

  /** Takes `seconds` of clock time, like QEMU's calculation; a domain that is not running is refused. */
  async blockResize(name: string, diskPath: string, bytes: number): Promise<void> {
    this.gate('blockResize');
    const d = this.must(name);
    if (d.state !== 'running' && d.state !== 'paused') {
      throw new HvsError({ code: 'HVS-LIBVIRT-FAILED', category: 'FailedPrecondition', message: `Requested operation is not valid: domain is not running (${name})`, why: 'blockresize needs a running domain', fix: 'resize the image offline' });
    }
    this.blockResizes.push({ name, diskPath, bytes });
  }

  async guestAddresses(name: string): Promise<GuestNic[]> {
    this.guestAddressCalls.set(name, (this.guestAddressCalls.get(name) ?? 0) + 1);
    this.gate('guestAddresses');
    const d = this.must(name);
    const nics = this.guestNics.get(name);
    if (d.state !== 'running' || nics === undefined) {
      throw new HvsError({ code: 'HVS-LIBVIRT-FAILED', category: 'Unavailable', message: `Guest agent is not responding: QEMU guest agent is not connected (${name})`, why: 'no qemu-guest-agent answers in the guest', fix: 'install and start qemu-guest-agent in the guest' });
    }
    return nics.map((n) => ({ ...n, ipv4: [...n.ipv4], ipv6: [...n.ipv6] }));
  }

  async sampleDirtyRate(name: string, seconds: number): Promise<DirtyRateSample> {
    this.gate('dirtyRate');
    const d = this.must(name);
    if (d.state !== 'running') {
      throw new HvsError({ code: 'HVS-LIBVIRT-INVALID-STATE', category: 'FailedPrecondition', message: `cannot measure the dirty rate of '${name}'`, why: 'domain is not running', fix: 'Start it first.' });
    }
    await this.clock.sleep(Math.max(1, seconds) * 1000);
    return { bytesPerSecond: this.dirtyRateBps, periodSeconds: Math.max(1, seconds), mode: 'page-sampling' };
  }

  async *migrate(name: string, destUri: string, opts: MigrateOptions = {}): AsyncGenerator<MigrationProgress> {
    this.migrateCalls.push({ name, destUri, opts: { ...opts } });
    this.gate('migrate');
    const d = this.must(name);
    const dest = this.opts.peers?.get(destUri);
    if (!dest) {
      throw new HvsError({ code: 'HVS-LIBVIRT-UNAVAILABLE', category: 'Unavailable', message: `cannot reach libvirt at ${destUri}`, why: 'no such fake peer', fix: 'Register the target fake in the shared peers map.' });
    }
    if (d.state !== 'running') {
      throw new HvsError({ code: 'HVS-LIBVIRT-INVALID-STATE', category: 'FailedPrecondition', message: `cannot live-migrate '${name}'`, why: 'domain is not running', fix: 'Start it first or migrate offline.' });
    }
    const total = 100 * 1024 * 1024;
    const t0 = this.clock.now();
    // abortMigration() cuts the pass short (and clears its timer: a test's process must not wait for it).
    const abort = new AbortController();
    this.migrating.set(name, abort);
    try {
      for (const done of [0.5, 1]) {
        yield { phase: 'running', dataTotalBytes: total, dataProcessedBytes: total * done, dataRemainingBytes: total * (1 - done), elapsedMs: this.clock.now() - t0 };
        await this.clock.sleep(this.migrationPassMs ?? opts.pollMs ?? 10, abort.signal).catch(() => undefined);
        if (abort.signal.aborted) {
          throw new HvsError({
            code: 'HVS-LIBVIRT-MIGRATE-CANCELLED', category: 'FailedPrecondition', message: `migration of domain '${name}' from ${this.uri} to ${destUri} failed`,
            why: 'operation aborted: migration out job: canceled by client (a failed pre-copy migration leaves the guest running on the source)', fix: 'Nothing to repair.',
          });
        }
      }
    } finally {
      this.migrating.delete(name);
    }
    await dest.receive(d);
    this.domains.delete(name);
    this.emit('stopped', name, 'Migrated');
    this.emit('undefined', name, 'Removed');
    yield { phase: 'completed', dataTotalBytes: total, dataProcessedBytes: total, dataRemainingBytes: 0, downtimeMs: 30, elapsedMs: this.clock.now() - t0 };
  }

  async abortMigration(name: string): Promise<void> {
    this.gate('migrate');
    const job = this.migrating.get(name);
    if (!job) {
      throw new HvsError({ code: 'HVS-LIBVIRT-INVALID-STATE', category: 'FailedPrecondition', message: `cannot abort a job of '${name}'`, why: 'Requested operation is not valid: no job is active on the domain', fix: 'Nothing to abort.' });
    }
    job.abort();
  }

  async createSnapshot(domain: string, snapshot: string): Promise<void> {
    this.gate('snapshot');
    const d = this.must(domain);
    if (d.snapshots.some((s) => s.name === snapshot)) {
      throw new HvsError({ code: 'HVS-LIBVIRT-ALREADY-EXISTS', category: 'AlreadyExists', message: `snapshot '${snapshot}' of '${domain}' exists`, why: 'snapshot names are unique per domain', fix: 'Pick another name or delete the old snapshot.' });
    }
    d.snapshots.push({ name: snapshot, createdAt: this.clock.now() });
  }

  async listSnapshots(domain: string): Promise<SnapshotInfo[]> {
    this.gate('snapshot');
    return [...this.must(domain).snapshots];
  }

  async revertSnapshot(domain: string, snapshot: string): Promise<void> {
    this.gate('snapshot');
    this.mustSnapshot(domain, snapshot);
  }

  async deleteSnapshot(domain: string, snapshot: string): Promise<void> {
    this.gate('snapshot');
    const d = this.must(domain);
    this.mustSnapshot(domain, snapshot);
    d.snapshots = d.snapshots.filter((s) => s.name !== snapshot);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.hub.close();
    this.opts.peers?.delete(this.uri);
  }

  /** Target side of a fake migration: the domain arrives running. */
  private async receive(d: FakeDomain): Promise<void> {
    this.domains.set(d.name, { ...d, snapshots: [], startedAt: this.clock.now(), boot: 0 });
    this.emit('defined', d.name, 'Added');
    this.emit('started', d.name, 'Migrated');
  }

  private gate(op: FakeOp): void {
    if (this.closed) throw new HvsError({ code: 'HVS-LIBVIRT-UNAVAILABLE', category: 'Unavailable', message: `driver for ${this.uri} is closed`, why: 'close() was called', fix: 'Create a new driver.' });
    const err = this.failures.get(op)?.shift();
    if (err) throw err;
  }

  private must(name: string): FakeDomain {
    const d = this.domains.get(name);
    if (!d) throw notFound(name, this.uri);
    return d;
  }

  private mustSnapshot(domain: string, snapshot: string): void {
    if (!this.must(domain).snapshots.some((s) => s.name === snapshot)) {
      throw new HvsError({ code: 'HVS-LIBVIRT-SNAPSHOT-NOT-FOUND', category: 'NotFound', message: `snapshot '${snapshot}' of '${domain}' not found`, why: 'no snapshot with that name', fix: 'List snapshots first.' });
    }
  }

  private accrue(d: FakeDomain): void {
    if (d.state === 'running') d.cpuTimeNs += (this.clock.now() - d.startedAt) * 1e6;
  }

  private emit(type: DomainEventType, name: string, detail: string): void {
    this.hub.publish({ type, name, detail, at: this.clock.now(), source: 'synthetic' });
  }
}

const MEMORY_UNITS: Record<string, number> = { b: 1, bytes: 1, KiB: 1024, k: 1024, MiB: 1024 ** 2, M: 1024 ** 2, GiB: 1024 ** 3, G: 1024 ** 3 };

/** `<memory unit='MiB'>64</memory>` in bytes (libvirt's default unit is KiB). */
function memoryBytesOf(xml: string): number {
  const m = /<memory(?:\s+unit=['"](\w+)['"])?\s*>(\d+)<\/memory>/.exec(xml);
  return m ? Number(m[2]) * (MEMORY_UNITS[m[1] ?? 'KiB'] ?? 1024) : 0;
}

function info(d: FakeDomain): DomainInfo {
  return { name: d.name, uuid: d.uuid, state: d.state, persistent: true };
}
