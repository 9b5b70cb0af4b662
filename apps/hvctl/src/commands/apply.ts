/** `hvctl apply` and `hvctl plan` (alias `diff`): send manifests to the controller. */
import { formatSummary, formatValue, type FieldChange, type ObjectPlan } from '@hvs/domain';
import { applyActions, fromProtoPlan, type WirePlanAction } from '@hvs/proto';
import { CliExit, EXIT, usageError } from '../errors';
import { loadLocal, readManifestFiles } from '../manifest/read';
import type { Palette } from '../printers/colour';
import { resourceName } from '../printers/resources';
import { parseDurationFlag, type Runtime } from './runtime';
import { withSshKeys } from './ssh-keys';
import { waitForVms } from './wait-vms';

export interface ApplyOpts { filename: string[]; recursive?: boolean; prune?: boolean; selector?: string; dryRun?: boolean; wait?: boolean; timeout: string; sshKey?: string[] }
export interface PlanOpts { filename: string[]; recursive?: boolean; prune?: boolean; selector?: string; showUnchanged?: boolean; output?: string; sshKey?: string[] }

export async function runApply(rt: Runtime, opts: ApplyOpts): Promise<void> {
  if (opts.prune && !opts.selector) throw usageError('--prune needs a label selector', 'add -l KEY=VALUE naming the objects these manifests own');
  const timeoutMs = parseDurationFlag('--timeout', opts.timeout);
  const loaded = loadLocal(await readManifestFiles(opts.filename, opts.recursive === true, rt.io));
  const documents = await withSshKeys(rt.io, loaded, opts.sshKey ?? []);
  const res = await (await rt.api()).apply({ documents, dryRun: opts.dryRun === true, fieldManager: 'hvctl', pruneSelector: opts.prune ? opts.selector! : '' });
  const p = rt.palette();
  const results = res.results.map((r) => ({ ...r, action: applyActions.fromProto(r.action) }));
  for (const r of results) {
    const word = r.action;
    const coloured = word === 'unchanged' ? p.dim(word) : word === 'pruned' ? p.red(word) : p.green(word);
    rt.io.out(`${resourceName(r.kind, r.name)} ${coloured}${opts.dryRun ? ' (dry run)' : ''}\n`);
  }
  if (opts.wait && !opts.dryRun) {
    const vms = results.filter((r) => r.kind === 'VirtualMachine' && r.action !== 'pruned').map((r) => r.name);
    await waitForVms(rt, vms, timeoutMs);
  }
}

export async function runPlan(rt: Runtime, opts: PlanOpts): Promise<void> {
  if (opts.prune && !opts.selector) throw usageError('--prune needs a label selector', 'add -l KEY=VALUE');
  if (opts.output !== undefined && opts.output !== 'json') throw usageError(`-o ${opts.output} is not supported by plan`, 'use -o json, or leave -o out for text');
  const loaded = loadLocal(await readManifestFiles(opts.filename, opts.recursive === true, rt.io));
  const documents = await withSshKeys(rt.io, loaded, opts.sshKey ?? []);
  const res = await (await rt.api()).plan({ documents, fieldManager: 'hvctl', pruneSelector: opts.prune ? opts.selector! : '' });
  const plans = res.objects.map(fromProtoPlan);
  if (opts.output === 'json') rt.io.out(`${JSON.stringify({ objects: plans, resourceVersion: res.resourceVersion }, null, 2)}\n`);
  else rt.io.out(renderPlan(plans, rt.palette(), opts.showUnchanged === true));
  if (plans.some((pl) => pl.action !== 'unchanged')) throw new CliExit(EXIT.changes);
}

type WirePlan = Omit<ObjectPlan, 'action'> & { action: WirePlanAction };
const SYMBOL: Record<WirePlanAction, string> = { create: '+', update: '~', unchanged: '=', delete: '-' };
const RANK = ['none', 'hotplug', 'migration', 'restart'];

/** formatPlan's layout (libs/domain/src/planning/format.ts) plus deletes (prune) and colour. */
export function renderPlan(plans: readonly WirePlan[], p: Palette, showUnchanged: boolean): string {
  const lines: string[] = [];
  for (const pl of plans) {
    if (pl.action === 'unchanged' && !showUnchanged) continue;
    const strongest = pl.changes.reduce((a, c) => (RANK.indexOf(c.effect) > RANK.indexOf(a) ? c.effect : a), 'none');
    const tags: string[] = [pl.action];
    if (strongest === 'restart') tags.push('restart required');
    if (pl.changes.some((c) => c.effect === 'migration')) tags.push('may need migration');
    if (strongest === 'hotplug') tags.push('hot-plugged');
    const colour = pl.action === 'create' ? p.green : pl.action === 'delete' ? p.red : pl.action === 'update' ? p.yellow : p.dim;
    lines.push(colour(`${SYMBOL[pl.action]} ${pl.kind}/${pl.name}`) + ` (${tags.map((t) => (t === 'restart required' ? p.red(t) : t)).join(', ')})`);
    lines.push(...pl.changes.map((c) => formatChange(c, p)));
  }
  if (lines.length === 0) lines.push('No changes: every object already matches.');
  const domainPlans = plans.filter((pl): pl is ObjectPlan => pl.action !== 'delete');
  const deletes = plans.length - domainPlans.length;
  const summary = formatSummary(domainPlans).replace(/\.$/, deletes > 0 ? `, ${deletes} to delete.` : '.');
  return `${lines.join('\n')}\n\n${summary}\n`;
}

function formatChange(c: FieldChange, p: Palette): string {
  const values = c.sensitive ? '(sensitive value changed)' : `${formatValue(c.old)} -> ${formatValue(c.new)}`;
  const tags = [c.effect === 'none' ? undefined : c.effect, c.note].filter((t): t is string => t !== undefined);
  const tagText = tags.length > 0 ? ` (${tags.join(', ')})` : '';
  return `    ${c.path}: ${values}${c.effect === 'restart' ? p.red(tagText) : c.effect === 'none' ? tagText : p.yellow(tagText)}`;
}
