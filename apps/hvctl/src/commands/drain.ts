/**
 * `hvctl drain NODE`: prints the plan (what moves where, what cannot and why), asks before
 * doing anything (`--yes` skips the question; without a terminal and without --yes it
 * refuses), then cordons the node and moves the VMs, one line per change, and a summary.
 * Exit 1 when a move failed; VMs that cannot move are listed, not an error. `hvctl uncordon
 * NODE` ends the maintenance.
 */
import { drainActions, migrationModes, type v1, type WireDrainAction } from '@hvs/proto';
import { CliExit, cliError, EXIT } from '../errors';
import { formatBytes, renderTable } from '../printers/table';
import type { Runtime } from './runtime';

const ACTION: Record<WireDrainAction, string> = { migrate: 'migrate', reassign: 'reassign (stopped)', stop: 'stop', blocked: 'CANNOT MOVE' };

export function planTable(plan: v1.DrainPlan): string {
  if (plan.items.length === 0) return `node/${plan.node} runs no VMs: nothing to move\n`;
  const rows = plan.items.map((i) => [i.vm, ACTION[drainActions.fromProto(i.action)], i.targetNode || '-', migrationModes.fromProtoOptional(i.mode) ?? '-', i.reason || '']);
  return renderTable(['VM', 'ACTION', 'TARGET', 'MODE', 'NOTES'], rows);
}

export interface DrainOpts { yes?: boolean; maxParallel: string }

/** `hvctl drain NODE`: plan, confirm, cordon and move. */
export async function runDrain(rt: Runtime, node: string, opts: DrainOpts): Promise<void> {
  const api = await rt.api();
  let plan: v1.DrainPlan | undefined;
  for await (const e of api.drain({ name: node, execute: false, maxParallel: 0, stopUnmovable: false })) if (e.event?.$case === 'plan') plan = e.event.value;
  if (!plan) throw cliError('HVS-CLI-DRAIN-NO-PLAN', `the controller sent no drain plan for node ${node}`, 'retry; check the controller with `hvctl status`');
  rt.io.out(planTable(plan));
  const movable = plan.items.filter((i) => drainActions.fromProto(i.action) !== 'blocked').length;
  const blocked = plan.items.length - movable;
  if (!opts.yes) {
    if (!rt.io.confirm) {
      throw cliError('HVS-CLI-CONFIRM-NEEDED', `refusing to drain node ${node} without confirmation`,
        `review the plan above and run again with --yes (hvctl drain ${node} --yes)`, 'standard input is not a terminal, so hvctl cannot ask');
    }
    const ok = await rt.io.confirm(`Cordon ${node} and move ${movable} VM${movable === 1 ? '' : 's'}${blocked ? ` (${blocked} cannot move and stay)` : ''}?`);
    if (!ok) {
      rt.io.err('drain cancelled: nothing was changed\n');
      throw new CliExit(EXIT.error);
    }
  }
  const maxParallel = Math.max(1, Number.parseInt(opts.maxParallel, 10) || 1);
  let failed = 0;
  for await (const e of api.drain({ name: node, execute: true, maxParallel, stopUnmovable: false })) {
    const ev = e.event;
    if (ev?.$case === 'vm') {
      const p = ev.value;
      const pct = p.dataTotal > 0 ? ` ${Math.round((100 * p.dataProcessed) / p.dataTotal)}% of ${formatBytes(p.dataTotal)}` : '';
      const err = p.error ? `: ${p.error.message}` : '';
      if (p.phase === 'Failed') failed++;
      rt.io.out(`virtualmachine/${p.vm} ${p.phase}${pct}${err} (migration/${p.migration})\n`);
    } else if (ev?.$case === 'done') {
      const d = ev.value;
      rt.io.out(`node/${node} drained: ${d.moved} moved, ${d.failed} failed, ${d.blocked} cannot move${d.cordoned ? `; ${node} is cordoned (hvctl uncordon ${node} ends maintenance)` : ''}\n`);
    }
  }
  if (failed > 0) throw new CliExit(EXIT.error);
}
