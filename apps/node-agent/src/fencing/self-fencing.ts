/**
 * Self-fencing (DESIGN §3, node failure and HA). Every FENCE_CHECK_INTERVAL_MS (injected clock)
 * the agent looks at its last controller contact; once `fenceAfter` passed, it asks every peer
 * from its last assignment (PeerCheck, in parallel, bounded) and applies `fenceDecision`:
 * - `fence`: destroys every HA VM (ha.restartPolicy Always) on this host and refuses to start
 *   any VM until the controller is back AND an Assign with a newer fencing token is accepted.
 *   That Assign no longer holds a VM the controller moved, so the agent removes it instead of
 *   starting it again. The fence is persisted: an agent restarted while fenced stays fenced.
 * - `controller-outage`: the peers lost the controller too; nothing is stopped (a dead
 *   controller must never stop every HA VM).
 * - `keep`: nothing to do.
 * Also, after a restart, HA VMs are not started until this process accepted an Assign: the
 * persisted assignment may be older than a restart the controller already made elsewhere.
 * Each step is logged and fenced VMs get a FENCED event.
 */
import {
  DEFAULT_FENCE_AFTER_MS, FENCE_CHECK_INTERVAL_MS, fenceDecision, HvsError, PEER_CHECK_TIMEOUT_MS, type FenceDecision, type PeerAnswer,
} from '@hvs/domain';
import type { Clock, TimerHandle } from '@hvs/reconcile';
import { emptyFenceState, loadFenceState, saveFenceState, type FenceState, type Peer } from './fence-state';
import type { PeerChecker } from './peer-client';

export interface FencedVm {
  name: string;
  uid: string;
  domain: string;
}

export interface SelfFencingLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
}

export interface SelfFencingOptions {
  nodeName: string;
  stateDir: string;
  clock: Clock;
  /** ms since the last successful controller call; -1: never (in this process). */
  msSinceContact(): number;
  peerChecker: PeerChecker;
  /** HA VMs of the current desired set (whether running or not). */
  haVms(): FencedVm[];
  /** Stops the domain hard (libvirt destroy); must succeed when it is not running. */
  destroy(domain: string): Promise<void>;
  /** The fencing token of the accepted assignment now. */
  fencingToken(): number;
  onFenced?(vm: FencedVm, message: string): void;
  log?: SelfFencingLog;
  checkEveryMs?: number;
  peerTimeoutMs?: number;
}

export interface AssignInfo {
  fencingToken: number;
  peers: readonly Peer[];
  fenceAfterMs: number;
}

export class SelfFencing {
  private state: FenceState = emptyFenceState();
  private timer: TimerHandle | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private assignedThisRun = false;
  /** Outcome of the last check, for logs and diagnostics. */
  lastDecision: FenceDecision | undefined;

  constructor(private readonly o: SelfFencingOptions) {}

  get fenced(): boolean {
    return this.state.fenced;
  }

  get fenceAfterMs(): number {
    return this.state.fenceAfterMs > 0 ? this.state.fenceAfterMs : DEFAULT_FENCE_AFTER_MS;
  }

  get peers(): readonly Peer[] {
    return this.state.peers;
  }

  /** Resolves when the check in flight (if any) has finished; for tests and shutdown. */
  async idle(): Promise<void> {
    await this.running;
  }

  async load(): Promise<void> {
    this.state = await loadFenceState(this.o.stateDir);
    if (this.state.fenced) this.o.log?.warn({ fencedAtToken: this.state.fencedAtToken, reason: this.state.reason }, 'starting fenced: no VM is started until the controller sends a newer assignment');
  }

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.o.clock.clearTimeout(this.timer);
    await this.running;
    this.o.peerChecker.close();
  }

  /**
   * An Assign was accepted: remember its peers and fenceAfter; a newer fencing token than the
   * one held when fencing lifts the fence. Returns true when it did.
   */
  async assigned(a: AssignInfo): Promise<boolean> {
    this.assignedThisRun = true;
    const peers = [...a.peers].map((p) => ({ node: p.node, address: p.address }));
    const lift = this.state.fenced && a.fencingToken > this.state.fencedAtToken;
    const changed = lift || JSON.stringify(peers) !== JSON.stringify(this.state.peers) || a.fenceAfterMs !== this.state.fenceAfterMs;
    if (!changed) return false;
    const next: FenceState = lift
      ? { version: 1, fenced: false, fencedAtToken: 0, peers, fenceAfterMs: a.fenceAfterMs }
      : { ...this.state, peers, fenceAfterMs: a.fenceAfterMs };
    await saveFenceState(this.o.stateDir, next);
    this.state = next;
    if (lift) this.o.log?.info({ fencingToken: a.fencingToken }, `fence lifted: the controller is back and sent assignment with fencing token ${a.fencingToken}; VMs it still assigns here start again, moved ones are removed`);
    return lift;
  }

  /** Why starting `vm` is refused now, or undefined when it may start. */
  startRefusal(vm: { name: string; ha: boolean }): HvsError | undefined {
    if (this.state.fenced) {
      return new HvsError({
        code: 'HVS-AGENT-FENCED', category: 'FailedPrecondition',
        message: `VM ${vm.name} not started: node ${this.o.nodeName} is fenced`,
        why: this.state.reason ?? 'the agent lost the controller and fenced itself; the controller may be running its HA VMs elsewhere',
        fix: 'restore the network path to the controller; the fence lifts when the controller sends a new assignment (see docs/ha.md)',
      });
    }
    if (vm.ha && !this.assignedThisRun) {
      return new HvsError({
        code: 'HVS-AGENT-AWAITING-ASSIGNMENT', category: 'Unavailable',
        message: `HA VM ${vm.name} not started yet: waiting for the controller's assignment`,
        why: 'after an agent restart the saved assignment may be older than a restart the controller already made on another host',
        fix: 'nothing: it starts once the controller is reachable and confirms the VM is still assigned here (see docs/ha.md)',
      });
    }
    return undefined;
  }

  /** One check (the loop's body; public for tests). */
  async check(): Promise<FenceDecision | 'already-fenced'> {
    if (this.state.fenced) return 'already-fenced';
    const since = this.o.msSinceContact();
    const fenceAfterMs = this.fenceAfterMs;
    if (since >= 0 && since < fenceAfterMs) return (this.lastDecision = 'keep');
    const peers = await this.askPeers();
    const decision = fenceDecision({ msSinceControllerContact: since, fenceAfterMs, peers });
    const summary = peers.map((p) => `${p.name}: ${p.reachable ? (p.controllerReachable ? 'reaches the controller' : 'lost the controller too') : 'no answer'}`).join('; ') || 'no peers';
    if (decision === 'controller-outage' && this.lastDecision !== 'controller-outage') {
      this.o.log?.warn({ msSinceContact: since, peers }, `controller unreachable for ${fmt(since)} but the peers lost it too (${summary}): controller outage, VMs keep running, nothing is fenced`);
    }
    this.lastDecision = decision;
    if (decision === 'fence') await this.fence(since, summary);
    return decision;
  }

  private async fence(since: number, summary: string): Promise<void> {
    // Refuse starts first (persisted), then stop: never a window where a stopped VM restarts.
    const reason = `no contact with the controller for ${fmt(since)} (fenceAfter ${this.fenceAfterMs} ms) and ${summary === 'no peers' ? 'no peers' : summary}`;
    const next: FenceState = { ...this.state, fenced: true, fencedAtToken: this.o.fencingToken(), fencedAt: new Date(this.o.clock.now()).toISOString(), reason };
    await saveFenceState(this.o.stateDir, next);
    this.state = next;
    const vms = this.o.haVms();
    this.o.log?.error({ fencedAtToken: next.fencedAtToken, vms: vms.map((v) => v.name) }, `self-fencing: ${reason}; stopping ${vms.length} HA VM(s) and refusing to start any VM until the controller sends a newer assignment`);
    for (const vm of vms) {
      try {
        await this.o.destroy(vm.domain);
        const message = `fenced: destroyed on ${this.o.nodeName} so the controller can restart it elsewhere (${reason})`;
        this.o.onFenced?.(vm, message);
        this.o.log?.warn({ vm: vm.name, uid: vm.uid }, message);
      } catch (e) {
        // Retried at the next check: the fence stays, so the VM is not started again meanwhile.
        this.o.log?.error({ vm: vm.name, err: e }, `self-fencing could not stop HA VM ${vm.name}: ${String(e)}`);
        this.pendingDestroy = true;
      }
    }
  }

  /** Set when a destroy failed; the loop retries it while fenced. */
  private pendingDestroy = false;

  private async retryDestroy(): Promise<void> {
    if (!this.pendingDestroy) return;
    this.pendingDestroy = false;
    for (const vm of this.o.haVms()) {
      try {
        await this.o.destroy(vm.domain);
      } catch (e) {
        this.pendingDestroy = true;
        this.o.log?.error({ vm: vm.name, err: e }, `self-fencing still cannot stop HA VM ${vm.name}: ${String(e)}`);
      }
    }
  }

  private async askPeers(): Promise<PeerAnswer[]> {
    const timeout = this.o.peerTimeoutMs ?? PEER_CHECK_TIMEOUT_MS;
    return Promise.all(this.state.peers.map(async (p): Promise<PeerAnswer> => {
      try {
        const r = await this.o.peerChecker.check(p, this.o.nodeName, timeout);
        return { name: p.node, reachable: true, controllerReachable: r.controllerReachable };
      } catch {
        return { name: p.node, reachable: false, controllerReachable: false };
      }
    }));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      const run = (this.state.fenced ? this.retryDestroy() : this.check())
        .catch((e: unknown) => this.o.log?.error({ err: e }, `fencing check failed: ${String(e)}`))
        .finally(() => this.schedule());
      this.running = run;
    }, this.o.checkEveryMs ?? FENCE_CHECK_INTERVAL_MS);
  }
}

function fmt(ms: number): string {
  return ms < 0 ? 'ever (never reached in this run)' : `${(ms / 1000).toFixed(1)} s`;
}
