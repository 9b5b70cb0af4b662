/**
 * Keeps each Node's Ready condition in step with its heartbeat lease (DESIGN §3, node
 * failure): lease present -> Ready=True; lease expired or missing -> Ready=Unknown, reason
 * NodeLeaseExpired, the message saying when the agent was last heard from. The scheduler's
 * Ready filter then stops placing VMs there and the dispatcher drops its connection.
 *
 * Per key (a node name) it re-reads the Node from the store and writes status only when the
 * condition changes (lastTransitionTime moves only on a flip). Lease state comes from
 * NodeLeases.list() once, then NodeLeases.watch(); a broken lease watch re-lists.
 * Events (when a sink is given): Normal `NodeReady` / Warning `NodeNotReady` whenever the
 * Node informer shows the Ready condition's status change (a flip, not a message change),
 * whoever wrote it: this loop on lease expiry, or the NodeService when an agent registers.
 */
import { isHvsError, type Node } from '@hvs/domain';
import { done, ReconcilerRunner, SystemClock, type Clock, type ReconcileResult, type RunnerHooks } from '@hvs/reconcile';
import type { NodeLeases } from '../leases/node-leases';
import { deepEqual } from '../store/objects';
import type { ObjectStore } from '../store/types';
import type { EventSink } from '../events/event-recorder';
import { setCondition, type ConditionUpdate } from '../runtime/conditions';
import type { Informer } from '../runtime/informer';

export const READY = 'Ready';

interface LeaseState {
  live: boolean;
  /** Clock time the expiry was seen (undefined: no lease since this reconciler started). */
  expiredAt?: number;
}

export interface NodeLifecycleReconcilerOptions {
  store: ObjectStore;
  nodes: Informer<Node>;
  leases: Pick<NodeLeases, 'list' | 'watch' | 'ttlSeconds'>;
  clock?: Clock;
  hooks?: RunnerHooks<string>;
  onError?: (e: unknown) => void;
  /** Where NodeReady / NodeNotReady events go (none: not recorded). */
  events?: EventSink;
}

export class NodeLifecycleReconciler {
  readonly runner: ReconcilerRunner<string>;
  private readonly clock: Clock;
  private readonly leaseState = new Map<string, LeaseState>();
  private watch: { close(): Promise<void> } | undefined;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: NodeLifecycleReconcilerOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.runner = new ReconcilerRunner<string>((key) => this.reconcile(key), { name: 'node-lifecycle', clock: this.clock, hooks: options.hooks });
  }

  /** Reads the live leases, starts watching them, queues every node and starts the worker. */
  async start(): Promise<void> {
    const { revision } = await this.relist();
    this.unsubscribe = this.options.nodes.subscribe((e) => {
      if (e.type === 'DELETED') return;
      this.recordFlip(e.old, e.object);
      this.runner.enqueue(e.object.metadata.name);
    });
    this.loop = this.watchLeases(revision);
    this.runner.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.unsubscribe?.();
    await this.watch?.close();
    await this.loop;
    await this.runner.stop({ graceMs: 5_000 });
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    let node: Node;
    try {
      node = await this.options.store.get<Node>('Node', name);
    } catch (e) {
      if (isHvsError(e) && e.code === 'HVS-STORE-NOT-FOUND') return done();
      throw e;
    }
    const now = new Date(this.clock.now()).toISOString();
    const conditions = setCondition(node.status?.conditions, this.readyFor(node), now);
    if (deepEqual(conditions, node.status?.conditions)) return done();
    // CAS on the version just read; a Conflict is thrown and retried with backoff.
    await this.options.store.updateStatus({ ...node, status: { ...node.status, conditions } });
    return done();
  }

  private recordFlip(old: Node | undefined, node: Node): void {
    const before = old?.status?.conditions?.find((c) => c.type === READY);
    const after = node.status?.conditions?.find((c) => c.type === READY);
    if (!after || before?.status === after.status) return;
    const ready = after.status === 'True';
    void this.options.events?.record({
      kind: 'Node', name: node.metadata.name, uid: node.metadata.uid, type: ready ? 'Normal' : 'Warning', reason: ready ? 'NodeReady' : 'NodeNotReady',
      message: `${ready ? 'Ready' : `Ready=${after.status}`}: ${after.message ?? ''}`, source: 'controller/node-lifecycle', node: node.metadata.name,
    });
  }

  private readyFor(node: Node): ConditionUpdate {
    const state = this.leaseState.get(node.metadata.name);
    if (state?.live) return { type: READY, status: 'True', reason: 'NodeLeaseRenewed', message: 'the node agent renews its heartbeat lease' };
    const ttl = this.options.leases.ttlSeconds;
    const seen = node.status?.lastHeartbeat;
    let message: string;
    if (state?.expiredAt !== undefined) {
      const expired = new Date(state.expiredAt).toISOString();
      const last = seen ?? `${new Date(state.expiredAt - ttl * 1000).toISOString()} at the latest`;
      message = `no heartbeat from the node agent since ${last}; its ${ttl} s lease expired at ${expired}`;
    } else {
      message = `the node agent holds no heartbeat lease (last heartbeat: ${seen ?? 'none seen'})`;
    }
    return { type: READY, status: 'Unknown', reason: 'NodeLeaseExpired', message };
  }

  private async relist(): Promise<{ revision: string }> {
    const { nodes, revision } = await this.options.leases.list();
    const live = new Set(nodes);
    for (const n of live) this.leaseState.set(n, { live: true });
    for (const [n, s] of this.leaseState) if (!live.has(n) && s.live) this.leaseState.set(n, { live: false, expiredAt: this.clock.now() });
    for (const node of this.options.nodes.list()) this.runner.enqueue(node.metadata.name);
    for (const n of live) this.runner.enqueue(n);
    return { revision };
  }

  private async watchLeases(fromRevision: string): Promise<void> {
    let revision = fromRevision;
    let delay = 200;
    while (!this.stopped) {
      try {
        const stream = this.options.leases.watch(revision);
        this.watch = stream;
        for await (const ev of stream) {
          revision = ev.revision;
          delay = 200;
          this.leaseState.set(ev.node, ev.type === 'Acquired' ? { live: true } : { live: false, expiredAt: this.clock.now() });
          this.runner.enqueue(ev.node);
        }
        if (this.stopped) return;
        throw new Error('the lease watch ended');
      } catch (e) {
        if (this.stopped) return;
        this.options.onError?.(e);
        await this.clock.sleep(delay, this.abort.signal).catch(() => undefined);
        if (this.stopped) return;
        delay = Math.min(delay * 2, 5_000);
        try {
          ({ revision } = await this.relist());
        } catch (listError) {
          this.options.onError?.(listError);
        }
      }
    }
  }
}
