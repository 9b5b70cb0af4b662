import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { HvsError } from '@hvs/domain';
import { SystemClock, type Clock } from '@hvs/reconcile';
import type {
  Ability, CallObserver, DefineResult, DomainEvent, DomainInfo, DomainStats, HostFacts, HypervisorDriver,
  BlockResizing, HypervisorMode, MigrateOptions, Migratable, MigrationProgress, ShutdownOptions, SnapshotInfo, Snapshotting,
} from './driver';
import { isConnectionError, notFound, toHvsError, unavailable, unsupportedInTestMode } from './errors';
import { parseSecModels, readKernelMac } from './confinement';
import { EventHub } from './event-hub';
import { readHostHardware } from './host-hardware';
import { loadLibvirt, type LibvirtDomain, type LibvirtHypervisor } from './libvirt-binding';
import { StateDiffEventSource, VirshEventSource, type EventSource } from './libvirt-events';
import { sampleDirtyRateWithVirsh, type DirtyRateSample, type DirtyRateSampling } from './dirty-rate';
import { domifaddrArgs, parseDomifaddr, type GuestAddressReading, type GuestNic } from './guest-addresses';
import { migrateWithVirsh, snapshotsWithVirsh } from './libvirt-virsh-abilities';
import { parseDomstats, parseVersion, runVirsh, stateFromNumber } from './virsh';

export interface LibvirtDriverOptions {
  /** `qemu:///system`, `test:///<abs path>/node.xml`, or `qemu+unix:///system?socket=...`. */
  uri: string;
  /** Latency of every libvirt call (binding or virsh). */
  onCall?: CallObserver;
  /** Test mode: how often the list diff looks for changes this driver did not make. Default 1000. */
  eventPollMs?: number;
  /** How often shutdown() checks whether the guest is off. Default 250. */
  shutdownPollMs?: number;
  /** Force the reported mode for a qemu URI (default: 'kvm' when KVM is usable, else 'qemu'). */
  domainType?: 'kvm' | 'qemu';
  virshTimeoutMs?: number;
  clock?: Clock;
}

/** Transient domains (created, not defined) are listed with this filter. */
const LIST_TRANSIENT = 8;
const XML_INACTIVE = 2;
/** virsh calls that read only static facts, so a virsh child's own test-driver state answers them truly. */
const STATIC_VIRSH_OPS: ReadonlySet<string> = new Set(['version', 'capabilities']);

/**
 * HypervisorDriver on libvirt: the @unraid/libvirt binding for lifecycle and XML, virsh for
 * the rest. In test mode (`test:///...`) everything goes through the binding, because a virsh
 * child has its own test-driver state; virsh-only features then throw HVS-LIBVIRT-UNSUPPORTED.
 * A connection error (libvirtd restarted) reopens the connection and retries the call once.
 */
export class LibvirtDriver implements HypervisorDriver, Migratable, Snapshotting, DirtyRateSampling, GuestAddressReading, BlockResizing {
  readonly abilities: ReadonlySet<Ability>;
  readonly testMode: boolean;
  private conn: Promise<LibvirtHypervisor> | undefined;
  private readonly hub: EventHub<DomainEvent>;
  private readonly source: EventSource;
  private readonly diff: StateDiffEventSource | undefined;
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly opts: LibvirtDriverOptions) {
    this.testMode = opts.uri.startsWith('test:');
    this.clock = opts.clock ?? new SystemClock();
    this.abilities = new Set<Ability>(this.testMode ? [] : ['migrate', 'snapshot', 'dirty-rate', 'guest-addresses', 'block-resize']);
    this.hub = new EventHub<DomainEvent>({ onFirst: () => this.source.start(), onLast: () => this.source.stop() });
    if (this.testMode) {
      this.diff = new StateDiffEventSource(() => this.list(), this.hub, opts.eventPollMs ?? 1000, () => this.clock.now());
      this.source = this.diff;
    } else {
      this.source = new VirshEventSource(opts.uri, this.hub);
    }
  }

  get uri(): string {
    return this.opts.uri;
  }

  async hostFacts(): Promise<HostFacts> {
    const node = await this.call('nodeGetInfo', undefined, (h) => h.nodeGetInfo());
    const hw = await readHostHardware();
    const versions = await this.virsh(['version'], 'version').then((r) => parseVersion(r.stdout), () => ({ libvirt: undefined, qemu: undefined }));
    // Read each time (one virsh per resync): a libvirtd restarted with another security_driver shows at once.
    const libvirtModels = await this.virsh(['capabilities'], 'capabilities').then((r) => parseSecModels(r.stdout), () => undefined);
    const mode: HypervisorMode = this.testMode ? 'test' : (this.opts.domainType ?? (hw.kvmUsable ? 'kvm' : 'qemu'));
    return {
      hostname: this.testMode ? hostname() : await this.call('hostname', undefined, (h) => h.connectGetHostname()),
      cpus: node.cpus,
      memoryBytes: node.memory * 1024,
      ...hw,
      mode,
      uri: this.opts.uri,
      ...(versions.libvirt ? { libvirtVersion: versions.libvirt } : {}),
      ...(versions.qemu ? { qemuVersion: versions.qemu } : {}),
      ...(libvirtModels ? { security: { libvirtModels, ...(await readKernelMac()) } } : {}),
    };
  }

  async list(): Promise<DomainInfo[]> {
    return this.call('list', undefined, async (h) => {
      const [all, transient] = await Promise.all([h.connectListAllDomains(), h.connectListAllDomains(LIST_TRANSIENT)]);
      const transientNames = new Set(await Promise.all(transient.map((d) => d.getName())));
      return Promise.all(all.map((d) => describe(d, transientNames)));
    });
  }

  async get(name: string): Promise<DomainInfo | undefined> {
    return this.call('get', name, async (h) => {
      const d = await lookup(h, name);
      if (!d) return undefined;
      const transient = await h.connectListAllDomains(LIST_TRANSIENT);
      return describe(d, new Set(await Promise.all(transient.map((t) => t.getName()))));
    });
  }

  async define(name: string, xml: string): Promise<DefineResult> {
    const named = /<name>([^<]*)<\/name>/.exec(xml)?.[1];
    if (named !== name) {
      throw new HvsError({
        code: 'HVS-LIBVIRT-XML-INVALID', category: 'InvalidArgument',
        message: `domain XML names '${named ?? '(none)'}', expected '${name}'`,
        why: 'the domain name identifies the VM on this host; a mismatch would define another domain',
        fix: 'Render the XML with the same name that is passed to define().',
      });
    }
    const result = await this.call('define', name, async (h) => {
      const existing = await lookup(h, name);
      const before = existing ? await existing.getXMLDesc(XML_INACTIVE) : undefined;
      let toDefine = xml;
      if (existing && !/<uuid>/.test(xml)) {
        // libvirt refuses a same-name define with a fresh UUID: keep the domain's identity.
        toDefine = xml.replace('</name>', `</name>\n  <uuid>${await existing.getUUIDString()}</uuid>`);
      }
      const d = await h.domainDefineXML(toDefine);
      const after = await d.getXMLDesc(XML_INACTIVE);
      return { info: await describe(d, new Set()), changed: before !== after, existed: existing !== undefined };
    });
    this.diff?.note(name, result.info.state, result.existed ? 'Updated' : 'Added', 'defined');
    return { info: result.info, changed: result.changed };
  }

  async start(name: string): Promise<void> {
    const state = await this.call('start', name, async (h) => {
      const d = await mustLookup(h, name, this.opts.uri);
      const { state } = await d.getInfo();
      if (stateFromNumber(state) === 'paused') await d.resume();
      else if (stateFromNumber(state) !== 'running') await d.create();
      return stateFromNumber((await d.getInfo()).state);
    });
    this.diff?.note(name, state, 'Booted');
  }

  async shutdown(name: string, opts: ShutdownOptions): Promise<void> {
    const deadline = this.clock.now() + opts.timeoutMs;
    let state = await this.stateOf(name);
    if (!isActive(state)) return;
    await this.call('shutdown', name, async (h) => (await mustLookup(h, name, this.opts.uri)).shutdown());
    state = await this.stateOf(name);
    while (isActive(state) && this.clock.now() < deadline) {
      await this.clock.sleep(Math.min(this.opts.shutdownPollMs ?? 250, Math.max(1, deadline - this.clock.now())));
      state = await this.stateOf(name);
    }
    if (isActive(state)) {
      await this.destroy(name);
      return;
    }
    this.diff?.note(name, state, 'Shutdown');
  }

  async destroy(name: string): Promise<void> {
    const state = await this.call('destroy', name, async (h) => {
      const d = await mustLookup(h, name, this.opts.uri);
      if (isActive(stateFromNumber((await d.getInfo()).state))) await d.destroy();
      return (await lookup(h, name)) ? stateFromNumber((await d.getInfo()).state) : undefined;
    });
    this.diff?.note(name, state, 'Destroyed');
  }

  async undefine(name: string): Promise<void> {
    const existed = await this.call('undefine', name, async (h) => {
      const d = await lookup(h, name);
      if (!d) return false;
      if (isActive(stateFromNumber((await d.getInfo()).state))) await d.destroy();
      if (!(await lookup(h, name))) return true; // it was transient: destroy removed it
      try {
        await d.undefine();
      } catch (e) {
        // The binding's virDomainUndefine has no flags: a domain with nvram or snapshot
        // metadata needs virsh's flags (real libvirtd only).
        if (this.testMode || isConnectionError(e)) throw e;
        await this.virsh(['undefine', name, '--nvram', '--snapshots-metadata', '--checkpoints-metadata'], 'undefine', name);
      }
      return true;
    });
    if (existed) this.diff?.note(name, undefined, 'Removed');
  }

  async stats(name: string): Promise<DomainStats> {
    if (this.testMode) {
      return this.call('stats', name, async (h) => {
        const info = await (await mustLookup(h, name, this.opts.uri)).getInfo();
        return {
          name, state: stateFromNumber(info.state), cpuTimeNs: info.cpuTime, memoryBytes: info.memory * 1024,
          blockRdBytes: 0, blockWrBytes: 0, netRxBytes: 0, netTxBytes: 0, detail: 'basic',
        };
      });
    }
    const r = await this.virsh(['domstats', name, '--state', '--cpu-total', '--balloon', '--block', '--interface'], 'domstats', name);
    return parseDomstats(name, r.stdout);
  }

  events(): AsyncIterable<DomainEvent> {
    return this.hub.subscribe();
  }

  migrate(name: string, destUri: string, opts: MigrateOptions = {}): AsyncIterable<MigrationProgress> {
    if (this.testMode) throw unsupportedInTestMode('migrate', this.opts.uri);
    const virsh = (args: string[], op: string, timeoutMs?: number) => this.virsh(args, op, name, timeoutMs);
    return migrateWithVirsh({ virsh, clock: this.clock, sourceUri: this.opts.uri }, name, destUri, opts);
  }

  async abortMigration(name: string): Promise<void> {
    if (this.testMode) throw unsupportedInTestMode('migrate', this.opts.uri);
    await this.virsh(['domjobabort', name], 'domjobabort', name);
  }

  /** dirty-rate.ts: virsh domdirtyrate-calc, then domstats --dirtyrate. */
  sampleDirtyRate(name: string, seconds: number): Promise<DirtyRateSample> {
    if (this.testMode) return Promise.reject(unsupportedInTestMode('dirty-rate sampling', this.opts.uri));
    return sampleDirtyRateWithVirsh((args, op, timeoutMs) => this.virsh(args, op, name, timeoutMs), this.clock, name, seconds);
  }

  /** guest-addresses.ts: `virsh domifaddr --source agent` (10 s at most: a hung guest agent must not hold the caller). */
  async guestAddresses(name: string): Promise<GuestNic[]> {
    if (this.testMode) throw unsupportedInTestMode('guest addresses', this.opts.uri);
    return parseDomifaddr((await this.virsh(domifaddrArgs(name), 'domifaddr', name, 10_000)).stdout);
  }

  /** `virsh blockresize` (the binding has no block calls): a running guest's disk grows live. */
  async blockResize(domain: string, diskPath: string, bytes: number): Promise<void> {
    if (this.testMode) throw unsupportedInTestMode('live disk resize', this.opts.uri);
    await this.virsh(['blockresize', domain, diskPath, `${bytes}B`], 'blockresize', domain);
  }

  private snapshots() {
    if (this.testMode) throw unsupportedInTestMode('snapshots', this.opts.uri);
    return snapshotsWithVirsh((args, op, domain) => this.virsh(args, op, domain));
  }

  async createSnapshot(domain: string, snapshot: string, opts: { description?: string } = {}): Promise<void> {
    await this.snapshots().create(domain, snapshot, opts.description);
  }

  async listSnapshots(domain: string): Promise<SnapshotInfo[]> {
    return this.snapshots().list(domain);
  }

  async revertSnapshot(domain: string, snapshot: string): Promise<void> {
    await this.snapshots().revert(domain, snapshot);
  }

  async deleteSnapshot(domain: string, snapshot: string): Promise<void> {
    await this.snapshots().remove(domain, snapshot);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.source.stop();
    this.hub.close();
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.then((h) => h.connectClose()).catch(() => undefined);
  }

  private async stateOf(name: string) {
    return this.call('getInfo', name, async (h) => stateFromNumber((await (await mustLookup(h, name, this.opts.uri)).getInfo()).state));
  }

  private connection(): Promise<LibvirtHypervisor> {
    if (this.closed) return Promise.reject(unavailable(this.opts.uri, new Error('driver closed')));
    if (!this.conn) {
      const opening = (async () => {
        const { Hypervisor } = await loadLibvirt();
        const h = new Hypervisor({ uri: this.opts.uri });
        await h.connectOpen();
        return h;
      })();
      this.conn = opening;
      opening.catch(() => {
        if (this.conn === opening) this.conn = undefined;
      });
    }
    return this.conn;
  }

  /** One observed binding call; reconnect + one retry on a connection error (never in test mode: that would lose the state). */
  private async call<T>(op: string, domain: string | undefined, fn: (h: LibvirtHypervisor) => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      let h: LibvirtHypervisor;
      try {
        h = await this.connection();
      } catch (e) {
        throw unavailable(this.opts.uri, e);
      }
      let result: T;
      try {
        result = await fn(h);
      } catch (e) {
        if (this.testMode || !isConnectionError(e)) throw e;
        const dead = this.conn;
        this.conn = undefined;
        void dead?.then((old) => old.connectClose()).catch(() => undefined); // free the broken handle
        let fresh: LibvirtHypervisor;
        try {
          fresh = await this.connection();
        } catch (again) {
          throw unavailable(this.opts.uri, again);
        }
        result = await fn(fresh);
      }
      this.opts.onCall?.(op, performance.now() - t0, true);
      return result;
    } catch (e) {
      this.opts.onCall?.(op, performance.now() - t0, false);
      throw toHvsError(e, { op, domain, uri: this.opts.uri });
    }
  }

  private async virsh(args: string[], op: string, domain?: string, timeoutMs?: number) {
    if (this.testMode && !STATIC_VIRSH_OPS.has(op)) throw unsupportedInTestMode(`virsh ${op}`, this.opts.uri);
    const t0 = performance.now();
    try {
      const r = await runVirsh(this.opts.uri, args, timeoutMs ?? this.opts.virshTimeoutMs);
      this.opts.onCall?.(`virsh ${op}`, performance.now() - t0, true);
      return r;
    } catch (e) {
      this.opts.onCall?.(`virsh ${op}`, performance.now() - t0, false);
      throw toHvsError(e, { op: `virsh ${op}`, domain, uri: this.opts.uri });
    }
  }
}

function isActive(state: string | undefined): boolean {
  return state === 'running' || state === 'paused' || state === 'blocked' || state === 'pmsuspended' || state === 'shutdown';
}

async function lookup(h: LibvirtHypervisor, name: string): Promise<LibvirtDomain | undefined> {
  try {
    return await h.domainLookupByName(name);
  } catch (e) {
    if (/Domain not found|no domain with matching/i.test(String((e as Error).message ?? e))) return undefined;
    throw e;
  }
}

async function mustLookup(h: LibvirtHypervisor, name: string, uri: string): Promise<LibvirtDomain> {
  const d = await lookup(h, name);
  if (!d) throw notFound(name, uri);
  return d;
}

async function describe(d: LibvirtDomain, transientNames: Set<string>): Promise<DomainInfo> {
  const [name, uuid, info] = await Promise.all([d.getName(), d.getUUIDString(), d.getInfo()]);
  return { name, uuid, state: stateFromNumber(info.state), persistent: !transientNames.has(name) };
}
