/**
 * Nodes as agents and operators see them. registerNode creates or updates the Node object
 * (spec.address; labels only on create) and writes its status from the agent's facts.
 * heartbeat renews the node's etcd lease (a keep-alive, not a write) and writes
 * status.lastHeartbeat only every `statusHeartbeatEveryMs` (default 60 s): heartbeats never
 * rewrite the Node object on every beat (DESIGN.md §1, the node-lease lesson).
 * cordon/uncordon set spec.cordoned (audited).
 */
import { DEFAULT_FENCE_AFTER_MS, type Condition, type NodeStatus } from '@hvs/domain';
import type { AuditService } from '../audit';
import type { ObjectStore, StoredObject } from '../store';
import { admit } from './access';
import type { CallContext } from './call-context';
import { auditedBatch, auditFailure, readOptional, retryOnConflict } from './writes';

const NODE = 'Node';
export const DEFAULT_STATUS_HEARTBEAT_EVERY_MS = 60_000;

/** The lease side of heartbeats (NodeLeases implements it). */
export interface NodeHeartbeats {
  readonly ttlSeconds: number;
  heartbeat(node: string): Promise<unknown>;
}

export interface NodeServiceOptions {
  clock?: () => Date;
  /** What agents are told to heartbeat at (default 1 s: with the 8 s lease, a lost node is Unknown within ~9.5 s). */
  heartbeatIntervalMs?: number;
  /** What agents are told in RegisterNode (they self-fence after this long without the controller). */
  fenceAfterMs?: number;
  statusHeartbeatEveryMs?: number;
}

/** What the agent reports about its host, already in Node.status terms. */
export type NodeFacts = Pick<NodeStatus, 'capacity' | 'devices' | 'pools' | 'hypervisor' | 'agentVersion'>;

export interface RegisterNodeInput {
  name: string;
  address: string;
  facts: NodeFacts;
  /** Applied on create only (an operator's later label edits win). */
  labels?: Record<string, string>;
}

export interface Registration {
  node: StoredObject;
  heartbeatIntervalMs: number;
  leaseTtlMs: number;
  fenceAfterMs: number;
}

export interface HeartbeatAnswer {
  leaseTtlMs: number;
  /** Whether this beat also wrote status.lastHeartbeat. */
  statusWritten: boolean;
}

type NodeObject = StoredObject & { spec: { address?: string; cordoned?: boolean }; status?: NodeStatus };

export class NodeService {
  private readonly clock: () => Date;
  private readonly lastStatusWrite = new Map<string, number>();

  constructor(private readonly store: ObjectStore, private readonly audit: AuditService, private readonly leases: NodeHeartbeats,
    private readonly options: NodeServiceOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
  }

  async registerNode(input: RegisterNodeInput, ctx: CallContext): Promise<Registration> {
    admit(ctx, 'NodeService/RegisterNode', { node: input.name });
    const node = await retryOnConflict(false, () => this.registerOnce(input, ctx));
    await this.leases.heartbeat(input.name);
    this.lastStatusWrite.set(input.name, this.clock().getTime());
    return {
      node, heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 1_000, leaseTtlMs: this.leases.ttlSeconds * 1000,
      fenceAfterMs: this.options.fenceAfterMs ?? DEFAULT_FENCE_AFTER_MS,
    };
  }

  /** Renews the lease; NotFound when the node never registered. */
  async heartbeat(name: string, ctx: CallContext): Promise<HeartbeatAnswer> {
    admit(ctx, 'NodeService/Heartbeat', { node: name });
    const now = this.clock();
    const last = this.lastStatusWrite.get(name);
    const due = last === undefined || now.getTime() - last >= (this.options.statusHeartbeatEveryMs ?? DEFAULT_STATUS_HEARTBEAT_EVERY_MS);
    if (due) {
      // Also proves the node exists before a lease is granted for it.
      await retryOnConflict(false, async () => {
        const current = (await this.store.get(NODE, name)) as NodeObject;
        await this.store.updateStatus({ ...current, status: { ...(current.status ?? {}), lastHeartbeat: now.toISOString() } });
      });
      this.lastStatusWrite.set(name, now.getTime());
    }
    await this.leases.heartbeat(name);
    return { leaseTtlMs: this.leases.ttlSeconds * 1000, statusWritten: due };
  }

  cordon(name: string, ctx: CallContext): Promise<StoredObject> {
    admit(ctx, 'NodeService/Cordon');
    return this.setCordoned(name, true, ctx);
  }

  uncordon(name: string, ctx: CallContext): Promise<StoredObject> {
    admit(ctx, 'NodeService/Uncordon');
    return this.setCordoned(name, false, ctx);
  }

  private async registerOnce(input: RegisterNodeInput, ctx: CallContext): Promise<StoredObject> {
    const current = (await readOptional(this.store, NODE, input.name)) as NodeObject | undefined;
    const status = this.statusFrom(input.facts, current?.status);
    const entry = { operation: 'register', kind: NODE, name: input.name, actor: ctx.actor };
    if (current === undefined) {
      const labels = input.labels && Object.keys(input.labels).length > 0 ? { labels: input.labels } : {};
      const object: StoredObject = { apiVersion: 'hvs/v1', kind: NODE, metadata: { name: input.name, ...labels }, spec: { address: input.address }, status };
      const batch = await auditedBatch(this.store, this.audit, [{ op: 'create', object }], [{ ...entry, generationBefore: 0, generationAfter: 1 }]);
      return batch.results[0]!.object;
    }
    let latest: StoredObject = current;
    if (current.spec.address !== input.address) {
      const generation = current.metadata.generation ?? 1;
      const next = { ...current, spec: { ...current.spec, address: input.address } };
      const batch = await auditedBatch(this.store, this.audit, [{ op: 'update', object: next }], [{ ...entry, generationBefore: generation, generationAfter: generation + 1 }]);
      latest = batch.results[0]!.object;
    }
    return this.store.updateStatus({ ...latest, status });
  }

  /** Facts replace what the agent owns; conditions and other controller fields are kept. */
  private statusFrom(facts: NodeFacts, previous: NodeStatus | undefined): NodeStatus {
    const now = this.clock().toISOString();
    const conditions = (previous?.conditions ?? []).filter((c) => c.type !== 'Ready');
    const before = previous?.conditions?.find((c) => c.type === 'Ready');
    const ready: Condition = {
      type: 'Ready', status: 'True', reason: 'AgentRegistered', message: 'the agent registered and heartbeats',
      lastTransitionTime: before?.status === 'True' && before.lastTransitionTime ? before.lastTransitionTime : now,
    };
    const out: NodeStatus = { ...(previous ?? {}), ...stripUndefined(facts), conditions: [ready, ...conditions], lastHeartbeat: now };
    if (facts.capacity) out.allocatable = { ...facts.capacity };
    return out;
  }

  private async setCordoned(name: string, cordoned: boolean, ctx: CallContext): Promise<StoredObject> {
    try {
      return await retryOnConflict(false, async () => {
        const current = (await this.store.get(NODE, name)) as NodeObject;
        if ((current.spec.cordoned ?? false) === cordoned) return current;
        const generation = current.metadata.generation ?? 1;
        const next = { ...current, spec: { ...current.spec, cordoned } };
        const entry = { operation: cordoned ? 'cordon' : 'uncordon', kind: NODE, name, uid: current.metadata.uid, actor: ctx.actor, generationBefore: generation, generationAfter: generation + 1 };
        return (await auditedBatch(this.store, this.audit, [{ op: 'update', object: next }], [entry])).results[0]!.object;
      });
    } catch (e) {
      await auditFailure(this.audit, e, { operation: cordoned ? 'cordon' : 'uncordon', kind: NODE, name, actor: ctx.actor });
      throw e;
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
