import {
  domainName, explicitPaths, HvsError, planObject, renderDomainXml, type HostFacts as RenderFacts, type InterfaceObservation, type SecurityModel,
  type VirtualMachine, type VmEventType,
} from '@hvs/domain';
import { done, isTerminalError, requeueAfter, TerminalError, type Clock, type ReconcileResult } from '@hvs/reconcile';
import { withInterfaces } from '../addresses/merge-interfaces';
import { isBlockResizing, type DomainState, type HypervisorDriver } from '../hypervisor';
import type { ObservedState } from '../observed/observed-state';
import type { AssignmentStore } from '../state/assignment-store';
import { confineAllToPools, type DiskToGrow, type LocalImage, type VolumeSet } from '../storage';
import { computePhase, type Activity, type Wait } from './phase';
import { assignmentFacts, factsKey, type HostRenderFacts } from './render-facts';

export interface DomainReconcilerOptions {
  driver: HypervisorDriver;
  store: AssignmentStore;
  observed: ObservedState;
  volumes: VolumeSet;
  clock: Clock;
  nodeName: string;
  /** `<domain type>` to render. */
  domainType: 'kvm' | 'qemu';
  shutdownTimeoutMs: number;
  diskPolicy: 'delete' | 'keep';
  consoleListen?: string;
  /**
   * The MAC model libvirt confines guests with now (hypervisor/confinement.ts), rendered as each
   * VM's `<seclabel>`; asked at every render, so a change redefines the domains (a running one
   * then reports pendingRestart).
   */
  securityModel?(): SecurityModel | undefined;
  /**
   * VMs moving away (apps/node-agent/src/migration): 'migrating' is left untouched; 'departed'
   * (runs on the target now) is no longer reported and, once unassigned, forgotten without
   * touching the domain or its disks (the target may share them).
   */
  held?(uid: string): 'migrating' | 'departed' | undefined;
  /** A departed VM left the assignment: its hold can go. */
  released?(uid: string): Promise<void>;
  /** The renderer (default renderDomainXml); a seam for tests that count renders. */
  render?(vm: VirtualMachine, facts: RenderFacts): string;
  /**
   * What must be true before a VM that is not running is defined and started: its Networks
   * realised here, its Images verified in the cache, its cloud-init seed built. Asked in order;
   * the first unmet one keeps the VM Pending with its reason (a running domain is never
   * stopped for one). Whoever makes one true enqueues the VM; `waitRecheckMs` is the backstop.
   */
  prerequisites?: readonly Prerequisite[];
  /**
   * For a VM whose domain is active: changes that only a restart brings in, without a new XML
   * (a rebuilt cloud-init seed: cloud-init reads it at boot); reported with pendingRestart.
   */
  restartNotes?: readonly RestartNote[];
  /** How soon a waiting VM is looked at again without an event (default 5000). */
  waitRecheckMs?: number;
  /**
   * The VM's interfaces as known now, without I/O (addresses/address-watch.ts): published with
   * every state, so a phase change never drops the addresses. Default: none.
   */
  interfaces?(uid: string): InterfaceObservation[];
}

/** One prerequisite check: undefined when met. */
export type Prerequisite = (uid: string, vm: VirtualMachine) => Promise<Wait | undefined>;

/** What of a running VM waits for its restart (field paths with a note), beyond its domain XML. */
export type RestartNote = (uid: string, vm: VirtualMachine) => Promise<string[]>;

/** What the reconciler remembers per VM between steps (lost on restart, re-derived then). */
interface Memory {
  /** The XML last defined by this process; a differing render means redefine. */
  xml?: string;
  /** The VM the running domain was booted with, to say which changes wait on a restart. */
  booted?: VirtualMachine;
  pendingRestart: string[];
  /** From restartNotes, asked at every pass over an active domain. */
  notes: string[];
  activity: Activity;
  error?: unknown;
  waiting?: Wait;
}

const ACTIVE: ReadonlySet<DomainState> = new Set(['running', 'paused', 'blocked', 'pmsuspended', 'shutdown']);
const RUNNING: ReadonlySet<DomainState> = new Set(['running', 'blocked']);

/**
 * reconcileDomain(uid): level-triggered, one VM per key. Each call re-reads the desired VM from
 * the assignment store and the domain from the driver, then moves toward desired: create volumes,
 * define (again when the XML changed), start, shut down, or (VM no longer assigned)
 * stop, undefine and delete its volumes. Every step is idempotent and the domain name is
 * deterministic (`hvs-<uid>`), so a crash between steps is harmless and a restarted agent adopts
 * its domains: no duplicates, and a running domain is never restarted. A redefined running
 * domain gets `pendingRestart` (the fields that need a restart) instead of a restart.
 * The XML is the one rendered when the Assign was checked (the store keeps it with the facts it
 * was rendered for); it is rendered here only when there is none for the current facts: after
 * an agent restart, or once this host's facts changed (an image appeared, for a cdrom).
 * Paths the spec names (disk, kernel, initrd, cdrom) are checked on the host before every define
 * and start (storage/path-confinement.ts: HVS-AGENT-PATH-*).
 * Errors are recorded as the VM's Failed phase (with libvirt's text, a reason and a fix) and
 * rethrown for the runner's rate-limited retry.
 */
export class DomainReconciler {
  private readonly memory = new Map<string, Memory>();
  /** The reconcile of each uid now running (the runner runs at most one per key). */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly o: DomainReconcilerOptions) {}

  /**
   * Resolves when no reconcile of `uid` runs. With `held(uid)` already set, none starts after
   * this: a migration then owns the domain alone.
   */
  async idle(uid: string): Promise<void> {
    await this.busy.get(uid)?.catch(() => undefined);
  }

  readonly reconcileDomain = (uid: string): Promise<ReconcileResult> => {
    const run = this.reconcileOnce(uid);
    this.busy.set(uid, run);
    return run.finally(() => {
      if (this.busy.get(uid) === run) this.busy.delete(uid);
    });
  };

  private async reconcileOnce(uid: string): Promise<ReconcileResult> {
    const vm = this.o.store.desired(uid);
    const hold = this.o.held?.(uid);
    if (hold === 'migrating') return done();
    if (hold === 'departed') return this.departed(uid, vm);
    const mem = this.mem(uid);
    try {
      if (vm === undefined) return await this.remove(uid, mem);
      const state = await this.converge(uid, vm, mem);
      mem.error = undefined;
      await this.publish(uid, vm, mem, state);
      return mem.waiting ? requeueAfter(this.o.waitRecheckMs ?? 5000) : done();
    } catch (e) {
      mem.activity = undefined;
      mem.error = isTerminalError(e) && e.cause !== undefined ? e.cause : e;
      const name = domainName(uid);
      if (vm !== undefined) await this.publish(uid, vm, mem).catch(() => undefined);
      const text = mem.error instanceof HvsError ? mem.error.toString() : String((mem.error as Error)?.message ?? mem.error);
      this.o.observed.event({ name: vm?.metadata.name ?? name, uid, type: 'ReconcileError', reason: 'ReconcileError', message: text }, this.o.clock.now());
      throw e;
    }
  }

  /** The renderer's view of this host: domain type, pools, local images, MAC model (the networks come with each assignment). */
  hostFacts(images: Record<string, LocalImage> | undefined): HostRenderFacts {
    const securityModel = this.o.securityModel?.();
    return {
      domainType: this.o.domainType,
      pools: this.o.volumes.poolDirs(),
      ...(images ? { images } : {}),
      consoleListen: this.o.consoleListen ?? '127.0.0.1',
      ...(securityModel ? { securityModel } : {}),
    };
  }

  /** The XML of `vm`: the one rendered for these facts (at the Assign, or earlier here), else a fresh render. */
  private xmlFor(uid: string, vm: VirtualMachine, facts: RenderFacts): string {
    const key = factsKey(facts);
    const kept = this.o.store.rendered(uid);
    if (kept !== undefined && kept.factsKey === key) return kept.xml;
    let xml: string;
    try {
      xml = (this.o.render ?? renderDomainXml)(vm, facts);
    } catch (e) {
      // The spec was rendered when the Assign was accepted; what fails now depends on this host.
      throw e instanceof HvsError && e.category === 'InvalidArgument' ? new TerminalError(e.message, { cause: e, reason: 'InvalidSpec' }) : e;
    }
    this.o.store.keepRendered(uid, { xml, factsKey: key });
    return xml;
  }

  /**
   * One step toward desired; returns the domain state it leaves behind: what libvirt reported
   * (get, define) or what the finished call guarantees (start from off: running, shutdown:
   * off), so the publish after it needs no second read (a change after that is a domain
   * event, which queues the VM again); undefined when only a read can tell.
   */
  private async converge(uid: string, vm: VirtualMachine, mem: Memory): Promise<DomainState | undefined> {
    const name = domainName(uid);
    mem.waiting = undefined;
    mem.notes = [];
    let dom = await this.o.driver.get(name);
    if ((vm.spec.runState ?? 'Running') === 'Running') {
      if (dom === undefined || !ACTIVE.has(dom.state)) {
        for (const check of this.o.prerequisites ?? []) {
          mem.waiting = await check(uid, vm);
          if (mem.waiting) return dom?.state;
        }
      } else {
        for (const note of this.o.restartNotes ?? []) mem.notes.push(...(await note(uid, vm)));
      }
    }
    const images = await this.o.volumes.images();
    const facts = assignmentFacts(this.hostFacts(images), this.o.store.networks);
    const xml = this.xmlFor(uid, vm, facts);
    // Every pass, so a link swapped in since the last define is caught before the next start.
    await confineAllToPools(explicitPaths(vm, facts));
    // A running guest holds its disks: a raised size grows live where the driver can, else waits for the next start.
    const growLater = await this.growLive(name, await this.o.volumes.ensure(uid, vm, images, { live: dom !== undefined && ACTIVE.has(dom.state) }));

    if (dom === undefined || mem.xml !== xml) {
      const existed = dom !== undefined;
      const r = await this.o.driver.define(name, xml);
      mem.xml = xml;
      if (existed && r.changed && ACTIVE.has(dom!.state)) mem.pendingRestart = this.restartFields(mem.booted, vm);
      if (!existed) this.event(uid, vm, 'Defined', 'Defined', 'domain defined');
      dom = r.info;
    }
    if (mem.booted === undefined && dom !== undefined && ACTIVE.has(dom.state) && mem.pendingRestart.length === 0) mem.booted = vm;
    for (const f of growLater) if (!mem.pendingRestart.includes(f)) mem.pendingRestart.push(f);

    const runState = vm.spec.runState ?? 'Running';
    if (runState === 'Running' && !RUNNING.has(dom.state)) {
      await this.step(uid, vm, mem, 'starting', () => this.o.driver.start(name));
      mem.booted = vm;
      mem.pendingRestart = [];
      this.event(uid, vm, 'Started', 'Started', 'domain started');
      // From off, a finished start means running; from paused & co. start may be a no-op: read.
      return ACTIVE.has(dom.state) ? undefined : 'running';
    }
    if (runState === 'Stopped' && ACTIVE.has(dom.state)) {
      await this.step(uid, vm, mem, 'stopping', () => this.o.driver.shutdown(name, { timeoutMs: this.o.shutdownTimeoutMs }));
      mem.booted = undefined;
      mem.pendingRestart = [];
      this.event(uid, vm, 'Stopped', 'Stopped', 'domain shut down');
      return 'shutoff';
    }
    return dom.state;
  }

  /** Grows each disk live (blockresize); returns the fields that must wait for a restart. */
  private async growLive(name: string, disks: DiskToGrow[]): Promise<string[]> {
    const later: string[] = [];
    for (const d of disks) {
      if (!isBlockResizing(this.o.driver)) {
        later.push(d.field);
        continue;
      }
      try {
        await this.o.driver.blockResize(name, d.path, d.bytes);
      } catch {
        later.push(d.field);
      }
    }
    return later;
  }

  private async departed(uid: string, vm: VirtualMachine | undefined): Promise<ReconcileResult> {
    this.memory.delete(uid);
    this.o.observed.remove(uid, domainName(uid));
    if (vm === undefined) {
      if (this.o.store.isRemoving(uid)) await this.o.store.finishRemoval(uid);
      await this.o.released?.(uid);
    }
    return done();
  }

  private async remove(uid: string, mem: Memory): Promise<ReconcileResult> {
    const name = domainName(uid);
    if (!this.o.store.isRemoving(uid)) {
      // Not ours (never assigned, or already cleaned up): nothing to do, nothing to touch.
      this.memory.delete(uid);
      this.o.observed.remove(uid, name);
      return done();
    }
    const dom = await this.o.driver.get(name);
    if (dom !== undefined) {
      mem.activity = 'removing';
      try {
        if (ACTIVE.has(dom.state)) await this.o.driver.shutdown(name, { timeoutMs: this.o.shutdownTimeoutMs });
        await this.o.driver.undefine(name);
      } finally {
        mem.activity = undefined;
      }
      this.o.observed.event({ name, uid, type: 'Undefined', reason: 'Removed', message: 'removed from the assignment' }, this.o.clock.now());
    }
    if (this.o.diskPolicy === 'delete') await this.o.volumes.deleteOwned(uid);
    else await this.o.volumes.deleteSeed(uid); // it holds user-data and secrets, and is rebuilt from the spec
    await this.o.store.finishRemoval(uid);
    this.memory.delete(uid);
    // Only now (volumes gone, removal recorded): the controller lets the VM go on this report.
    this.o.observed.cleanedUp(uid, name, this.o.diskPolicy === 'keep');
    return done();
  }

  private async step(uid: string, vm: VirtualMachine, mem: Memory, activity: Activity, fn: () => Promise<void>): Promise<void> {
    mem.activity = activity;
    await this.publish(uid, vm, mem, 'activity');
    try {
      await fn();
    } finally {
      mem.activity = undefined;
    }
  }

  /** Paths of fields whose change only takes effect after a restart (live changes are not hot-plugged yet). */
  private restartFields(booted: VirtualMachine | undefined, vm: VirtualMachine): string[] {
    if (booted === undefined) return ['spec (changed while the agent was not running)'];
    const paths = planObject(booted, vm).changes.filter((c) => c.effect === 'restart' || c.effect === 'hotplug').map((c) => c.path);
    return paths.length > 0 ? paths : [];
  }

  /**
   * Publishes the VM's observed state. `known`: the state the caller just saw or caused (no
   * read); 'activity': a step runs and the phase comes from it (no read); otherwise re-read.
   */
  private async publish(uid: string, vm: VirtualMachine, mem: Memory, known?: DomainState | 'activity'): Promise<void> {
    const name = domainName(uid);
    let state: DomainState | undefined;
    if (known === undefined) state = (await this.o.driver.get(name).catch(() => undefined))?.state;
    else if (known !== 'activity') state = known;
    const view = computePhase({ runState: vm.spec.runState ?? 'Running', state, activity: mem.activity, error: mem.error, ...(mem.waiting ? { waiting: mem.waiting } : {}) });
    this.o.observed.set(withInterfaces({
      name: vm.metadata.name, uid, phase: view.phase, reason: view.reason, message: view.message, ips: [],
      node: this.o.nodeName, observedGeneration: vm.metadata.generation ?? 0,
      pendingRestart: [...mem.pendingRestart, ...mem.notes.filter((n) => !mem.pendingRestart.includes(n))],
      ...(view.problem ? { error: view.problem } : {}),
    }, this.o.interfaces?.(uid) ?? []));
  }

  private event(uid: string, vm: VirtualMachine, type: VmEventType, reason: string, message: string): void {
    this.o.observed.event({ name: vm.metadata.name, uid, type, reason, message }, this.o.clock.now());
  }

  private mem(uid: string): Memory {
    let m = this.memory.get(uid);
    if (!m) {
      m = { pendingRestart: [], notes: [], activity: undefined };
      this.memory.set(uid, m);
    }
    return m;
  }
}
