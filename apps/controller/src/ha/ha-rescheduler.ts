/**
 * HA restarts after fencing (DESIGN §3, node failure and HA). Leader only, keyed by node name.
 *
 * When a Node is Ready=Unknown (its lease expired):
 * 1. every VM bound to it shows phase Unknown, Ready=Unknown reason NodeLost (non-HA VMs stay
 *    bound and stay so until the node returns or an operator acts);
 * 2. at rescheduleAt(lastHeartbeat, fenceAfter, margin), where lastHeartbeat is the upper bound
 *    "Ready went Unknown - lease TTL" (the lease expires TTL after the last renewal, so the real
 *    one is earlier) and never before this leadership term began (after a controller outage the
 *    agents start counting fenceAfter only once they can hear from a controller again), its HA
 *    VMs (ha.restartPolicy Always) are unbound in priority order in ONE transaction that also
 *    compares the Node's version, so a node that came back in between is never emptied;
 *    the scheduler then places them on other nodes, and every Assign after that write carries a
 *    higher fencing token (the store revision moved);
 * 3. only while at least half of the lost node's peers are Ready (controllerMayReschedule): a
 *    controller that sees most nodes vanish at once restarts nothing.
 * The Node gets condition VmsRescheduled=True (reason NodeLost, which VMs); it flips to False
 * when the node is Ready again.
 */
import {
  controllerMayReschedule, haRestartOrder, rescheduleAt, type Node, type VirtualMachine, type VirtualMachineStatus,
} from '@hvs/domain';
import { done, ReconcilerRunner, requeueAfter, SystemClock, type Clock, type ReconcileResult, type RunnerHooks } from '@hvs/reconcile';
import type { EventSink } from '../events/event-recorder';
import { findCondition, setCondition } from '../runtime/conditions';
import type { Informer } from '../runtime/informer';
import { deepEqual } from '../store/objects';
import type { ObjectStore, WriteOp } from '../store/types';
import { DEFAULT_HA_TIMING, type HaTiming } from './ha-config';

export const VMS_RESCHEDULED = 'VmsRescheduled';
export const RESCHEDULED = 'Rescheduled';
/** How often a restart blocked by the peer-majority rule is looked at again. */
const BLOCKED_RETRY_MS = 5_000;

export interface HaReschedulerLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

export interface HaReschedulerOptions {
  store: ObjectStore;
  nodes: Informer<Node>;
  vms: Informer<VirtualMachine>;
  leaseTtlSeconds: number;
  timing?: HaTiming;
  clock?: Clock;
  hooks?: RunnerHooks<string>;
  events?: EventSink;
  log?: HaReschedulerLog;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class HaRescheduler {
  readonly runner: ReconcilerRunner<string>;
  private readonly clock: Clock;
  private readonly timing: HaTiming;
  private termStart = 0;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly o: HaReschedulerOptions) {
    this.clock = o.clock ?? new SystemClock();
    this.timing = o.timing ?? DEFAULT_HA_TIMING;
    this.runner = new ReconcilerRunner<string>((node) => this.reconcile(node), { name: 'ha-reschedule', clock: this.clock, hooks: o.hooks });
  }

  /** Subscribes to the (synced) informers, queues every node, starts the worker. */
  start(): void {
    this.termStart = this.clock.now();
    this.unsubscribe.push(this.o.nodes.subscribe((e) => e.type !== 'DELETED' && this.runner.enqueue(e.object.metadata.name)));
    this.unsubscribe.push(this.o.vms.subscribe((e) => {
      const node = e.object.status?.node;
      if (e.type !== 'DELETED' && node) this.runner.enqueue(node);
    }));
    for (const n of this.o.nodes.list()) this.runner.enqueue(n.metadata.name);
    this.runner.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.runner.stop({ graceMs: 5_000 });
  }

  /** When the HA VMs of `node` may be restarted elsewhere (undefined: the node is not lost). */
  restartTime(node: Node): number | undefined {
    const ready = findCondition(node.status?.conditions, 'Ready');
    if (ready?.status !== 'Unknown') return undefined;
    const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : this.clock.now();
    const lastHeartbeat = Math.max(since - this.o.leaseTtlSeconds * 1000, this.termStart);
    return rescheduleAt(lastHeartbeat, this.timing.fenceAfterMs, this.timing.marginMs);
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const node = this.o.nodes.get(name);
    if (!node || node.metadata.deletionTimestamp) return done();
    const now = this.clock.now();
    const at = this.restartTime(node);
    if (at === undefined) return this.nodeBack(node, now);
    const bound = this.o.vms.list().filter((vm) => vm.status?.node === name && !vm.metadata.deletionTimestamp);
    const ha = haRestartOrder(bound);
    await this.markUnknown(bound, new Set(ha.map((v) => v.metadata.name)), name, at, now);
    if (ha.length === 0) return done();
    if (now < at) return requeueAfter(at - now);

    const peers = this.o.nodes.list().filter((n) => n.metadata.name !== name && !n.metadata.deletionTimestamp);
    const ready = peers.filter((n) => findCondition(n.status?.conditions, 'Ready')?.status === 'True').length;
    if (!controllerMayReschedule(ready, peers.length)) {
      const why = `only ${ready} of the ${peers.length} other nodes are Ready: this controller may be the one cut off, so node ${name}'s agent may not have fenced; HA VMs are not restarted elsewhere`;
      this.o.log?.warn({ node: name, ready, peers: peers.length }, why);
      void this.o.events?.record({ kind: 'Node', name, uid: node.metadata.uid, type: 'Warning', reason: 'HaRestartBlocked', message: why, source: 'controller/ha', node: name });
      return requeueAfter(BLOCKED_RETRY_MS);
    }
    await this.unbind(node, ha, at, now);
    return done();
  }

  /** Non-HA and not-yet-restarted HA VMs of a lost node: phase Unknown, Ready=Unknown/NodeLost. */
  private async markUnknown(vms: VirtualMachine[], ha: Set<string>, node: string, at: number, now: number): Promise<void> {
    for (const vm of vms) {
      const message = ha.has(vm.metadata.name)
        ? `node ${node} is lost (lease expired); HA VM: restarted on another node at ${iso(at)} unless the node returns first`
        : `node ${node} is lost (lease expired); not an HA VM (spec.ha.restartPolicy Always), it stays bound to the node until it returns`;
      const status: VirtualMachineStatus = {
        ...vm.status, phase: 'Unknown',
        conditions: setCondition(vm.status?.conditions, { type: 'Ready', status: 'Unknown', reason: 'NodeLost', message }, iso(now)),
      };
      if (!deepEqual(status, vm.status)) await this.o.store.updateStatus({ ...vm, status });
    }
  }

  private async unbind(node: Node, ha: VirtualMachine[], at: number, now: number): Promise<void> {
    const name = node.metadata.name;
    const names = ha.map((v) => v.metadata.name);
    const why = `node ${name} lost: no heartbeat, and its agent has fenced itself by ${iso(at)} (last heartbeat + fenceAfter ${this.timing.fenceAfterMs} ms + margin ${this.timing.marginMs} ms)`;
    const ops: WriteOp[] = [{
      op: 'updateStatus',
      object: { ...node, status: { ...node.status, conditions: setCondition(node.status?.conditions, { type: VMS_RESCHEDULED, status: 'True', reason: 'NodeLost', message: `HA VMs restarted elsewhere: ${names.join(', ')}` }, iso(now)) } },
    }];
    for (const vm of ha) {
      const { node: _old, ...rest } = vm.status ?? {};
      let conditions = setCondition(rest.conditions, { type: RESCHEDULED, status: 'True', reason: 'NodeLost', message: `${why}; rescheduling` }, iso(now));
      conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'NodeLost', message: `being restarted on another node: ${why}` }, iso(now));
      ops.push({ op: 'updateStatus', object: { ...vm, status: { ...rest, phase: 'Pending', conditions } } });
    }
    // One transaction, compared on the Node and every VM: a node that returned meanwhile (its
    // Ready flipped) makes it fail with Conflict, and the retry sees it back.
    await this.o.store.applyBatch(ops);
    this.o.log?.info({ node: name, vms: names }, `HA: unbound ${names.length} VM(s) of lost node ${name} for restart elsewhere`);
    for (const vm of ha) {
      void this.o.events?.record({ kind: 'VirtualMachine', name: vm.metadata.name, uid: vm.metadata.uid, type: 'Warning', reason: RESCHEDULED, message: `${why}; restarting it on another node`, source: 'controller/ha', node: name });
    }
    void this.o.events?.record({ kind: 'Node', name, uid: node.metadata.uid, type: 'Warning', reason: 'NodeLost', message: `HA VMs restarted elsewhere: ${names.join(', ')}`, source: 'controller/ha', node: name });
  }

  private async nodeBack(node: Node, now: number): Promise<ReconcileResult> {
    const c = findCondition(node.status?.conditions, VMS_RESCHEDULED);
    const ready = findCondition(node.status?.conditions, 'Ready');
    if (c?.status !== 'True' || ready?.status !== 'True') return done();
    const conditions = setCondition(node.status?.conditions, { type: VMS_RESCHEDULED, status: 'False', reason: 'NodeReady', message: `node is Ready again; earlier: ${c.message ?? ''}` }, iso(now));
    await this.o.store.updateStatus({ ...node, status: { ...node.status, conditions } });
    return done();
  }
}
