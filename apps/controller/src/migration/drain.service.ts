/**
 * NodeService.Drain: the plan first (what moves where, what cannot and why), then, when asked
 * to execute, the node is cordoned (no new VM lands there) and one Migration per movable VM is
 * created, at most `maxParallel` at a time (the reconciler's per-host and per-cluster limits
 * hold on top), each followed to its end with its progress streamed; a summary ends the
 * stream. Migrations already created carry on if the caller goes away; no further ones are
 * created then. VMs that cannot move stay where they are and are counted as blocked.
 */
import { planDrain, type DrainPlan, type Migration, type Node, type StoragePool, type VirtualMachine } from '@hvs/domain';
import type { AuditService } from '../audit';
import type { CallContext } from '../services/call-context';
import { admit } from '../services/access';
import type { NodeService } from '../services/node.service';
import { auditedBatch } from '../services/writes';
import type { ObjectStore } from '../store/types';
import { migrationName } from './migration.service';

export interface DrainInput {
  node: string;
  execute: boolean;
  /** Migrations of this drain at once (default 1). */
  maxParallel?: number;
}

export type DrainUpdate =
  | { type: 'plan'; plan: DrainPlan }
  | { type: 'vm'; vm: string; migration: string; phase: string; bytesTotal: number; bytesDone: number; message?: string; failed?: boolean }
  | { type: 'done'; moved: number; failed: number; blocked: number; cordoned: boolean };

export interface DrainOptions {
  /** How often running migrations are read (default 500 ms). */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  clock?: () => Date;
}

export class DrainService {
  constructor(private readonly store: ObjectStore, private readonly audit: AuditService, private readonly nodes: Pick<NodeService, 'cordon'>, private readonly o: DrainOptions = {}) {}

  async plan(node: string): Promise<DrainPlan> {
    await this.store.get('Node', node); // NotFound with the store's own message and fix
    const [nodes, vms, pools, migrations] = await Promise.all([
      this.store.list<Node>('Node'), this.store.list<VirtualMachine>('VirtualMachine'), this.store.list<StoragePool>('StoragePool'),
      this.store.list<Migration>('Migration'),
    ]);
    // Migrations in flight (another drain, a single move) hold capacity on their targets.
    return planDrain({ node, nodes: nodes.items, vms: vms.items, pools: new Map(pools.items.map((p) => [p.metadata.name, p])), migrations: migrations.items });
  }

  async *drain(input: DrainInput, ctx: CallContext): AsyncGenerator<DrainUpdate> {
    admit(ctx, 'NodeService/Drain');
    const plan = await this.plan(input.node);
    yield { type: 'plan', plan };
    if (!input.execute) return;
    await this.nodes.cordon(input.node, ctx);
    const queue = plan.items.filter((i) => i.action !== 'blocked');
    const parallel = Math.max(1, input.maxParallel ?? 1);
    const active = new Map<string, { vm: string; last: string }>();
    let moved = 0;
    let failed = 0;
    const sleep = this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    while (queue.length > 0 || active.size > 0) {
      while (active.size < parallel && queue.length > 0) {
        const item = queue.shift()!;
        const name = migrationName(item.vm, (this.o.clock?.() ?? new Date()).getTime());
        const object: Migration = {
          apiVersion: 'hvs/v1', kind: 'Migration', metadata: { name, labels: { 'hvs.dev/vm': item.vm, 'hvs.dev/drain': input.node } },
          spec: { vm: item.vm, targetNode: item.target, mode: item.mode ?? 'live', copyStorage: item.copyStorage ?? false }, status: { phase: 'Pending' },
        };
        await auditedBatch(this.store, this.audit, [{ op: 'create', object }], [{ operation: 'migrate', kind: 'Migration', name, actor: ctx.actor, generationBefore: 0, generationAfter: 1 }]);
        active.set(name, { vm: item.vm, last: '' });
        yield { type: 'vm', vm: item.vm, migration: name, phase: 'Pending', bytesTotal: 0, bytesDone: 0, message: `to ${item.target} (${item.mode})` };
      }
      await sleep(this.o.pollMs ?? 500);
      for (const [name, a] of active) {
        const m = await this.store.get<Migration>('Migration', name).catch(() => undefined);
        const phase = m?.status?.phase ?? (m ? 'Pending' : 'Failed');
        const p = m?.status?.progress;
        const key = `${phase}/${m?.status?.step ?? ''}/${p?.bytesDone ?? 0}`;
        if (key !== a.last) {
          a.last = key;
          const terminal = phase === 'Succeeded' || phase === 'Failed';
          yield {
            type: 'vm', vm: a.vm, migration: name, phase, bytesTotal: p?.bytesTotal ?? 0, bytesDone: p?.bytesDone ?? 0,
            ...(terminal || m?.status?.step ? { message: m?.status?.message ?? (m ? m.status?.step : 'the Migration object was deleted') } : {}),
            ...(phase === 'Failed' ? { failed: true } : {}),
          };
        }
        if (phase === 'Succeeded') moved++;
        if (phase === 'Failed') failed++;
        if (phase === 'Succeeded' || phase === 'Failed') active.delete(name);
      }
    }
    yield { type: 'done', moved, failed, blocked: plan.blocked, cordoned: true };
  }
}
