/**
 * Human rendering of plans, terraform style:
 *
 *   ~ VirtualMachine/web-1 (update, restart required)
 *       spec.memory.size: "2GiB" -> "4GiB" (restart)
 *   + Network/lab (create)
 *
 *   Plan: 1 to create, 1 to update (1 needs restart), 0 unchanged.
 *
 * Plain text, no colour: hvctl adds colour on a TTY. Unchanged objects are listed only
 * with `showUnchanged`.
 */
import { mayNeedMigration, needsRestart, summarizePlans } from './plan';
import type { FieldChange, ObjectPlan } from './types';

const SYMBOL = { create: '+', update: '~', unchanged: '=' } as const;
const MAX_VALUE = 120;

export function formatValue(v: unknown): string {
  if (v === undefined) return '(none)';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}

function formatChange(c: FieldChange): string {
  const values = c.sensitive ? '(sensitive value changed)' : `${formatValue(c.old)} -> ${formatValue(c.new)}`;
  const tags = [c.effect === 'none' ? undefined : c.effect, c.note].filter((t): t is string => t !== undefined);
  return `    ${c.path}: ${values}${tags.length > 0 ? ` (${tags.join(', ')})` : ''}`;
}

function header(p: ObjectPlan): string {
  const tags: string[] = [p.action];
  if (needsRestart(p)) tags.push('restart required');
  if (mayNeedMigration(p)) tags.push('may need migration');
  if (!needsRestart(p) && p.changes.some((c) => c.effect === 'hotplug')) tags.push('hot-plugged');
  return `${SYMBOL[p.action]} ${p.kind}/${p.name} (${tags.join(', ')})`;
}

export function formatSummary(plans: readonly ObjectPlan[]): string {
  const s = summarizePlans(plans);
  const extras = [`${s.restart} needs restart`];
  if (s.migration > 0) extras.push(`${s.migration} may need migration`);
  const update = s.update > 0 ? ` (${extras.join(', ')})` : '';
  return `Plan: ${s.create} to create, ${s.update} to update${update}, ${s.unchanged} unchanged.`;
}

export function formatPlan(plans: readonly ObjectPlan[], opts: { showUnchanged?: boolean } = {}): string {
  const lines: string[] = [];
  for (const p of plans) {
    if (p.action === 'unchanged' && !opts.showUnchanged) continue;
    lines.push(header(p), ...p.changes.map(formatChange));
  }
  if (lines.length === 0) lines.push('No changes: every object already matches.');
  return `${lines.join('\n')}\n\n${formatSummary(plans)}\n`;
}
