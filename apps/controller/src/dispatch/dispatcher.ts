/**
 * The dispatcher (leader only, DESIGN §1): one AgentConnection per Ready node with an
 * address, the node's full desired set sent with `Assign`, and observed state written back.
 *
 * Two level-triggered loops over the shared informers:
 * - `assigner` (key: node name): dial or drop the agent, build the assignment, and send it
 *   when its content differs from what the agent last accepted (or after a reconnect). The
 *   generation stays the same for the same content and grows when it changes; the fencing
 *   token is the store revision the assignment was built at (monotonic, and larger after a
 *   leader change, so an agent can refuse a deposed leader's stale assignment).
 * - `statusSync` (key: VM name): the latest observation of the VM from its node's agent,
 *   merged into status with CAS, written only when something changed. Concurrent writes
 *   share etcd transactions through a StatusBatcher (a burst of 100 VMs turning Running costs
 *   a few transactions, not 100); each keeps its own compare, so a stale one fails alone and
 *   is retried from a fresh read. The object this loop last wrote is used until the informer
 *   delivers it, so a second report about the same VM does not decide on the older cached
 *   version (that would only conflict).
 * The agents' VmEvents (started, stopped, crashed, reconcile errors with libvirt's text...)
 * are recorded as events of the VM, source `agent/<node>`, when an EventSink is given.
 * What the agents confirm about the clean-up of deleted VMs is kept in `cleanup`
 * (cleanup-reports.ts), read by the deletion loop.
 */
import type { Image, Migration, Network, Node, Secret, VirtualMachine, VmEventType } from '@hvs/domain';
import { done, ReconcilerRunner, SystemClock, TerminalError, type Clock, type ReconcileOutcome, type ReconcileResult } from '@hvs/reconcile';
import { agentv1, vmEventTypes } from '@hvs/proto';
import type { ReservationCache } from '../ipam/reservation-cache';
import type { Informer } from '../runtime/informer';
import { isConflict } from '../store/errors';
import { StatusBatcher } from '../runtime/status-batcher';
import { deepEqual } from '../store/objects';
import type { ObjectStore, StoredObject } from '../store/types';
import type { EventSink } from '../events/event-recorder';
import { AgentConnection, insecureDialer, type AgentDialer } from '../agents/agent-connection';
import { assignedView } from '../migration/assignment-view';
import { buildAssignment } from './assignment';
import { scopeOf } from './assignment-scope';
import { CleanupReports, type RemovedVm } from './cleanup-reports';
import { statusFromObservation, type Observation } from './observed-status';

/** The kinds an Assign is built from (assignment-scope.ts): a change of any other kind never re-sends one. */
export interface DispatcherInformers {
  vms: Informer<VirtualMachine>;
  nodes: Informer<Node>;
  networks: Informer<Network>;
  /** Secrets referenced by VMs' cloud-init (resolved into their Assign); absent: none resolved. */
  secrets?: Informer<Secret>;
  /** IPAM reservations (NicBindings, NetworkBindings); absent: none bound. */
  reservations?: ReservationCache;
  /** Migrations in flight: the target realises the migrating VMs' Networks first. */
  migrations?: Informer<Migration>;
  /** Images the VMs use (with their digests in the Assign); absent: none sent. */
  images?: Informer<Image>;
}

export interface DispatcherLog {
  warn(obj: object, msg: string): void;
}

export interface DispatcherOptions {
  store: ObjectStore;
  informers: DispatcherInformers;
  /** This controller replica (sent in WatchRequest, for the agent's logs). */
  controllerId: string;
  dialer?: AgentDialer;
  clock?: Clock;
  assignTimeoutMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  log?: DispatcherLog;
  onReconcile?: (reconciler: string, outcome: ReconcileOutcome, durationMs: number) => void;
  /** Where the agents' VmEvents are recorded (none: dropped). */
  events?: EventSink;
  /** Sent in every Assign: agents self-fence after this long without the controller (docs/ha.md). */
  fenceAfterMs?: number;
  /**
   * Concurrent status reconciles, default 64. They mostly wait on the shared transaction, so
   * more workers mean fuller transactions, not more etcd load.
   */
  statusWorkers?: number;
  /** Told when an agent confirmed the clean-up of a deleted VM (the deletion loop re-checks it). */
  onCleanupConfirmed?: (vmName: string) => void;
  /** How a node realises a Network (its Watch snapshot and changes): Network status.nodes[] is written from it. */
  onNetworkObserved?: (node: string, observed: agentv1.NetworkObserved) => void;
  /** A node's copy of an Image (download progress, verification): Image status.nodes[] is written from it. */
  onImageObserved?: (node: string, observed: agentv1.ImageObserved) => void;
}

/** Ready=True, has an address, not being deleted. */
export function isDispatchable(node: Node | undefined): node is Node & { spec: { address: string } } {
  if (!node || node.metadata.deletionTimestamp || !node.spec.address) return false;
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Agent VM events recorded as Warning; the rest are Normal. Their words: vmEventTypes (libs/proto). */
const WARNING_VM_EVENTS: ReadonlySet<VmEventType> = new Set<VmEventType>(['Crashed', 'ReconcileError', 'Fenced']);

/** The event's word, or undefined for UNSPECIFIED and for a type this controller does not know (a newer agent's): not recorded. */
function vmEventWord(type: agentv1.VmEventType): VmEventType | undefined {
  try {
    return vmEventTypes.fromProtoOptional(type);
  } catch {
    return undefined;
  }
}

export class Dispatcher {
  readonly assigner: ReconcilerRunner<string>;
  readonly statusSync: ReconcilerRunner<string>;
  private readonly connections = new Map<string, AgentConnection>();
  /** Commits the observed-status writes (public for its stats: the bench and tests read them). */
  readonly statusWriter: StatusBatcher;
  /** What the agents confirmed about deleted VMs' clean-up (read by the deletion loop). */
  readonly cleanup: CleanupReports;
  private readonly observations = new Map<string, Observation>();
  /** The VM as this loop last wrote it, until the informer has delivered that version. */
  private readonly written = new Map<string, VirtualMachine>();
  private readonly clock: Clock;
  private readonly dialer: AgentDialer;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly options: DispatcherOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.dialer = options.dialer ?? insecureDialer;
    const hooks = (name: string) => ({
      onResult: (_key: string, outcome: ReconcileOutcome, ms: number) => options.onReconcile?.(name, outcome, ms),
      onError: (key: string, error: unknown, retryInMs: number) => options.log?.warn({ reconciler: name, key, err: error, retryInMs }, 'dispatch step failed; retrying'),
    });
    this.assigner = new ReconcilerRunner((node) => this.reconcileNode(node), { name: 'dispatch-assign', workers: 4, clock: this.clock, hooks: {
      ...hooks('dispatch-assign'), onTerminal: (key, error) => options.log?.warn({ node: key, err: error }, 'agent refused the assignment'),
    } });
    this.statusWriter = new StatusBatcher(options.store);
    this.cleanup = new CleanupReports((_node, vm) => options.onCleanupConfirmed?.(vm.name));
    this.statusSync = new ReconcilerRunner((vm) => this.reconcileVmStatus(vm), {
      name: 'dispatch-status', workers: options.statusWorkers ?? 64, clock: this.clock, hooks: hooks('dispatch-status'),
    });
  }

  /** Subscribes to the (synced) informers, queues every node, starts both loops. */
  start(): void {
    const { vms, nodes, networks, secrets, reservations, migrations, images } = this.options.informers;
    this.unsubscribe.push(vms.subscribe((e) => {
      for (const n of new Set([e.old?.status?.node, e.object.status?.node])) if (n) this.assigner.enqueue(n);
      const name = e.object.metadata.name;
      if (e.type === 'DELETED') {
        this.observations.delete(name);
        if (e.object.metadata.uid) this.cleanup.forget(e.object.metadata.uid);
      }
      const mine = this.written.get(name);
      if (mine && (e.type === 'DELETED' || Number(e.object.metadata.resourceVersion) >= Number(mine.metadata.resourceVersion))) this.written.delete(name);
    }));
    for (const inf of [nodes, networks, ...(secrets ? [secrets] : []), ...(migrations ? [migrations] : [])] as Informer<StoredObject>[]) {
      this.unsubscribe.push(inf.subscribe(() => this.enqueueAllNodes()));
    }
    // A reservation is in the Assign of every node that uses its Network: the content hash keeps the others from a re-send.
    if (reservations) this.unsubscribe.push(reservations.subscribe(() => this.enqueueAllNodes()));
    // Image status changes about once a second while nodes download: only the spec and the
    // pinned digest are part of an Assign.
    if (images) {
      this.unsubscribe.push(images.subscribe((e) => {
        if (e.type !== 'MODIFIED' || !deepEqual(e.old?.spec, e.object.spec) || e.old?.status?.pinned !== e.object.status?.pinned || e.old?.status?.digest !== e.object.status?.digest) this.enqueueAllNodes();
      }));
    }
    this.enqueueAllNodes();
    this.assigner.start();
    this.statusSync.start();
  }

  /** Stops both loops and closes every agent connection. */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await Promise.all([this.assigner.stop({ graceMs: 5_000 }), this.statusSync.stop({ graceMs: 5_000 })]);
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }

  /** Nodes with an open connection object (connected or reconnecting). */
  connectedNodes(): string[] {
    return [...this.connections.keys()].sort();
  }

  async reconcileNode(name: string): Promise<ReconcileResult> {
    const node = this.options.informers.nodes.get(name);
    let conn = this.connections.get(name);
    if (!isDispatchable(node)) {
      conn?.close();
      this.connections.delete(name);
      return done();
    }
    if (conn && conn.address !== node.spec.address) {
      conn.close();
      this.connections.delete(name);
      conn = undefined;
    }
    if (!conn) {
      conn = new AgentConnection({
        node: name, address: node.spec.address, dialer: this.dialer, controllerId: this.options.controllerId, clock: this.clock,
        reconnectBaseMs: this.options.reconnectBaseMs, reconnectMaxMs: this.options.reconnectMaxMs,
        handlers: {
          onConnected: (n) => this.assigner.enqueue(n),
          onDisconnected: (n, error) => this.options.log?.warn({ node: n, err: error }, 'agent Watch stream broke; reconnecting'),
          onEvent: (n, event) => this.onAgentEvent(n, event),
        },
      });
      this.connections.set(name, conn);
      conn.start();
    }
    // Assign once the Watch stream is up: onConnected queues this node again.
    if (!conn.connected) return done();

    const assignment = this.assignmentFor(name);
    // Deleted VMs still bound here: left out of the assignment; the answer says what the agent still cleans up.
    const excluded = this.terminatingOn(name);
    if (conn.acked?.hash === assignment.hash && !this.cleanup.unknown(name, excluded)) return done();
    const revision = this.revision();
    const generation = conn.lastSent?.hash === assignment.hash ? conn.lastSent.generation : Math.max(revision, conn.lastGeneration + 1);
    conn.lastGeneration = Math.max(conn.lastGeneration, generation);
    conn.lastSent = { hash: assignment.hash, generation };
    const res = await conn.assign({ ...assignment.request, generation, fencingToken: revision }, this.options.assignTimeoutMs);
    if (this.connections.get(name) !== conn) return done(); // replaced meanwhile: the new one re-sends
    if (!res.accepted) {
      const problems = res.problems.map((p) => `${p.code} ${p.path}: ${p.message}`).join('; ');
      throw new TerminalError(`the agent of node ${name} refused assignment generation ${generation}: ${problems || 'no reason given'}`, { reason: 'AssignmentRefused' });
    }
    conn.acked = { hash: assignment.hash, generation };
    this.cleanup.assigned(name, excluded, res.removingUids);
    return done();
  }

  private terminatingOn(node: string): RemovedVm[] {
    return this.options.informers.vms.list()
      .filter((vm) => vm.status?.node === node && vm.metadata.deletionTimestamp && vm.metadata.uid)
      .map((vm) => ({ uid: vm.metadata.uid!, name: vm.metadata.name }));
  }

  async reconcileVmStatus(name: string): Promise<ReconcileResult> {
    const o = this.observations.get(name);
    let vm = this.options.informers.vms.get(name);
    const mine = this.written.get(name);
    if (vm && mine && Number(mine.metadata.resourceVersion) > Number(vm.metadata.resourceVersion)) vm = mine;
    for (let attempt = 1; o && vm; attempt++) {
      // A report from a node the VM is no longer bound to, or about an older VM of the same name, is stale.
      if (vm.status?.node !== o.node) return done();
      if (o.uid !== '' && vm.metadata.uid !== undefined && o.uid !== vm.metadata.uid) return done();
      // Being deleted and no longer reported: the agent removed it; the deletion loop owns what status says now.
      if (vm.metadata.deletionTimestamp && o.observed === undefined) return done();
      const status = statusFromObservation(vm, o, new Date(this.clock.now()).toISOString());
      if (deepEqual(status, vm.status)) return done();
      try {
        const written = await this.statusWriter.write({ ...vm, status });
        const cached = this.options.informers.vms.get(name);
        if (cached && Number(cached.metadata.resourceVersion) < Number(written.metadata.resourceVersion)) this.written.set(name, written);
        return done();
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
        vm = await this.options.store.get<VirtualMachine>('VirtualMachine', name);
      }
    }
    return done();
  }

  private onAgentEvent(node: string, event: agentv1.AgentEvent): void {
    const ev = event.event;
    if (!ev) return;
    if (ev.$case === 'vm') this.observe(node, ev.value.name, ev.value.uid, ev.value);
    else if (ev.$case === 'vmRemoved') {
      // The agent may only know the domain name (it forgets the VM object when it leaves the assignment).
      const vm = ev.value.cleanedUp ? this.options.informers.vms.list().find((v) => v.metadata.uid === ev.value.uid) : undefined;
      if (vm) this.cleanup.confirm(node, { uid: ev.value.uid, name: vm.metadata.name });
      this.observe(node, ev.value.name, ev.value.uid, undefined);
    }
    else if (ev.$case === 'vmEvent') this.recordVmEvent(node, ev.value);
    else if (ev.$case === 'network') this.options.onNetworkObserved?.(node, ev.value);
    else if (ev.$case === 'image') this.options.onImageObserved?.(node, ev.value);
    else if (ev.$case === 'snapshot') {
      for (const n of ev.value.networks) this.options.onNetworkObserved?.(node, n);
      for (const i of ev.value.images) this.options.onImageObserved?.(node, i);
      const reported = new Set<string>();
      for (const vm of ev.value.vms) {
        reported.add(vm.name);
        this.observe(node, vm.name, vm.uid, vm);
      }
      // Every VM bound here that the agent does not report yet: Starting/Pending.
      for (const vm of this.options.informers.vms.list()) {
        if (vm.status?.node === node && !vm.metadata.deletionTimestamp && !reported.has(vm.metadata.name)) {
          this.observe(node, vm.metadata.name, '', undefined);
        }
      }
    }
  }

  private recordVmEvent(node: string, e: agentv1.VmEvent): void {
    const word = vmEventWord(e.type);
    if (!this.options.events || !word) return;
    const reason = /^[A-Z][A-Za-z0-9]{0,127}$/.test(e.reason) ? e.reason : word;
    void this.options.events.record({
      kind: 'VirtualMachine', name: e.name, uid: e.uid, type: WARNING_VM_EVENTS.has(word) ? 'Warning' : 'Normal', reason, message: e.message || word,
      source: `agent/${node}`, node, time: e.time,
    });
  }

  private observe(node: string, name: string, uid: string, observed: agentv1.VmObserved | undefined): void {
    this.observations.set(name, observed ? { node, uid, observed } : { node, uid, observed: undefined });
    this.statusSync.enqueue(name);
  }

  private assignmentFor(name: string) {
    const inf = this.options.informers;
    const peers: agentv1.Peer[] = [];
    for (const n of inf.nodes.list()) if (n.metadata.name !== name && isDispatchable(n)) peers.push({ node: n.metadata.name, address: n.spec.address });
    return buildAssignment({
      node: name,
      // An offline move stops the VM on its source first (migration/assignment-view.ts).
      scope: scopeOf(name, {
        vms: inf.vms.list().filter((vm) => vm.status?.node === name).map(assignedView), networks: inf.networks, secrets: inf.secrets,
        reservations: inf.reservations, migrations: inf.migrations?.list(), allVms: inf.vms, images: inf.images,
      }),
      peers,
      fenceAfterMs: this.options.fenceAfterMs,
      address: inf.nodes.get(name)?.spec.address,
    });
  }

  /** The newest store revision the dispatcher has seen (what its next fencing token is built from). */
  revisionSeen(): number {
    return this.revision();
  }

  /** The newest store revision the informers reflect. */
  private revision(): number {
    const inf = this.options.informers;
    return Math.max(...[inf.vms, inf.nodes, inf.networks, ...(inf.secrets ? [inf.secrets] : []), ...(inf.migrations ? [inf.migrations] : []), ...(inf.reservations ? [inf.reservations] : []), ...(inf.images ? [inf.images] : [])].map((i) => Number(i.revision)));
  }

  private enqueueAllNodes(): void {
    for (const n of this.options.informers.nodes.list()) this.assigner.enqueue(n.metadata.name);
    for (const n of this.connections.keys()) this.assigner.enqueue(n);
  }
}
