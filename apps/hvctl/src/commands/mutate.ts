/** `hvctl delete`, `start|stop|restart`, `cordon|uncordon`: imperative changes. */
import type { HvsError } from '@hvs/domain';
import { CliExit, EXIT, formatError, usageError } from '../errors';
import { loadLocal, readManifestFiles } from '../manifest/read';
import { resourceName } from '../printers/resources';
import { KIND_WORDS, kindArg } from './kinds';
import { waitDeleted } from './wait-deleted';
import { parseDurationFlag, type Runtime } from './runtime';
import type { VmAction } from '../client/controller-client';
import type { v1 } from '@hvs/proto';

export interface DeleteOpts { filename: string[]; recursive?: boolean; selector?: string; wait?: boolean; timeout: string; ignoreNotFound?: boolean; force?: boolean }
export interface VmActionOpts { selector?: string; wait?: boolean; timeout: string; force?: boolean }

/**
 * `hvctl delete KIND NAME...`, `hvctl delete KIND -l SELECTOR` (each one request: one etcd
 * transaction, all or nothing) or `hvctl delete -f FILE` (one request per object; a failure of
 * one is reported and the rest go on). A file is deleted users first: the objects that name
 * others (VMs, Migrations, Snapshots, Backups) before what they name (Networks, Images, ...),
 * whatever the file's order, so a file that applies also deletes (a Network is refused while a
 * VM that is not being deleted still uses it).
 */
/** Kinds whose objects name others: deleted first by `delete -f` (a stable sort keeps the file order within each group). */
const USERS_FIRST: ReadonlySet<string> = new Set(['Backup', 'Snapshot', 'Migration', 'VirtualMachine']);

export async function runDelete(rt: Runtime, kindInput: string | undefined, names: string[], opts: DeleteOpts): Promise<void> {
  if (opts.filename.length === 0) return deleteOfKind(rt, kindInput, names, opts);
  if (kindInput !== undefined || opts.selector !== undefined) throw usageError('give either -f, or KIND with NAMEs or -l, not both', 'hvctl delete -f FILE, hvctl delete vm NAME..., or hvctl delete vm -l app=web');
  const targets: { kind: string; name: string }[] = [];
  const loaded = loadLocal(await readManifestFiles(opts.filename, opts.recursive === true, rt.io));
  for (const r of loaded.resources) targets.push({ kind: r.kind, name: r.metadata.name });
  targets.sort((a, b) => Number(!USERS_FIRST.has(a.kind)) - Number(!USERS_FIRST.has(b.kind)));
  const waitMs = opts.wait ? parseDurationFlag('--timeout', opts.timeout) : 0;
  let failed = 0;
  const terminating: { kind: string; name: string }[] = [];
  for (const t of targets) {
    try {
      // --wait polls here (wait-deleted.ts) for progress and a precise timeout error, not in the server.
      const res = await (await rt.api()).delete({ kind: t.kind, name: t.name, names: [], labelSelector: '', ignoreNotFound: false, wait: false, resourceVersion: '', waitTimeoutMs: 0, force: opts.force === true });
      if (reportDeleted(rt, t.kind, { name: t.name, gone: res.gone, warnings: res.results[0]?.warnings ?? [] }, opts.wait === true)) terminating.push(t);
    } catch (e) {
      if ((e as HvsError).category === 'NotFound' && opts.ignoreNotFound) continue;
      if ((e as HvsError).category === 'Unavailable' || targets.length === 1) throw e;
      failed++;
      rt.io.err(formatError(e, rt.debug));
    }
  }
  if (opts.wait) await waitDeleted(rt, terminating, waitMs);
  if (failed > 0) throw new CliExit(EXIT.error);
}

/** Names or a selector of one kind: one Delete request; the server deletes all of them or none. */
async function deleteOfKind(rt: Runtime, kindInput: string | undefined, names: string[], opts: DeleteOpts): Promise<void> {
  if (kindInput === undefined) throw usageError('delete needs KIND NAME..., KIND -l SELECTOR or -f FILE', 'e.g. hvctl delete vm web-1 web-2, or hvctl delete vm -l app=web');
  const kind = kindArg(kindInput);
  if (opts.selector !== undefined && names.length > 0) throw usageError('give either NAMEs or -l SELECTOR, not both', `hvctl delete ${kindInput} ${names[0]}..., or hvctl delete ${kindInput} -l ${opts.selector}`);
  if (opts.selector === undefined && names.length === 0) throw usageError(`delete ${kindInput} needs NAMEs or -l SELECTOR`, `e.g. hvctl delete ${kindInput} web-1, or hvctl delete ${kindInput} -l app=web`);
  if (opts.selector !== undefined && opts.selector.trim() === '') throw usageError('-l needs a selector (an empty one would match every object)', 'e.g. -l app=web');
  const waitMs = opts.wait ? parseDurationFlag('--timeout', opts.timeout) : 0;
  // One name goes in `name`, which every controller version reads; several in `names`.
  const target = opts.selector !== undefined ? { labelSelector: opts.selector } : names.length === 1 ? { name: names[0]! } : { names, ignoreNotFound: opts.ignoreNotFound === true };
  let res: v1.DeleteResponse;
  try {
    // --wait polls here (wait-deleted.ts) for progress and a precise timeout error, not in the server.
    res = await (await rt.api()).delete({ kind, name: '', names: [], labelSelector: '', ignoreNotFound: false, ...target, wait: false, resourceVersion: '', waitTimeoutMs: 0, force: opts.force === true });
  } catch (e) {
    if ((e as HvsError).category === 'NotFound' && opts.ignoreNotFound && names.length === 1) return;
    throw e;
  }
  // A controller from before `results` answers a one-name delete with `gone` only.
  const results = res.results.length > 0 ? res.results.map((r) => ({ name: r.object?.metadata?.name ?? '?', gone: r.gone, warnings: r.warnings }))
    : opts.selector === undefined && names.length === 1 ? [{ name: names[0]!, gone: res.gone, warnings: [] }] : [];
  if (results.length === 0) rt.io.err(opts.selector !== undefined ? `No ${KIND_WORDS[kind].plural} matched -l ${opts.selector}: nothing deleted.\n` : 'None of the names exist: nothing deleted.\n');
  const terminating = results.filter((r) => reportDeleted(rt, kind, r, opts.wait === true)).map((r) => ({ kind, name: r.name }));
  if (opts.wait) await waitDeleted(rt, terminating, waitMs);
}

/** Prints one object's result (a forced delete's warnings on stderr); true while it is still terminating. */
function reportDeleted(rt: Runtime, kind: string, r: { name: string; gone: boolean; warnings: readonly string[] }, wait: boolean): boolean {
  for (const w of r.warnings) rt.io.err(`warning: ${resourceName(kind, r.name)}: ${w}\n`);
  if (r.gone || !wait) rt.io.out(`${resourceName(kind, r.name)} ${r.gone ? 'deleted' : 'deletion requested'}\n`);
  return !r.gone;
}

/** `hvctl start|stop|restart NAMES... | -l SELECTOR`; exit 1 when any VM failed. */
export async function runVmAction(rt: Runtime, action: VmAction, past: string, names: string[], opts: VmActionOpts): Promise<void> {
  if (names.length === 0 && !opts.selector) throw usageError(`${action} needs VM names or -l SELECTOR`, `e.g. hvctl ${action} web-1, or hvctl ${action} -l group=lab`);
  const waitMs = opts.wait ? parseDurationFlag('--timeout', opts.timeout) : 0;
  const res = await (await rt.api()).vmAction(action, { names, labelSelector: opts.selector ?? '', force: opts.force === true, wait: opts.wait === true, waitTimeoutMs: waitMs });
  const p = rt.palette();
  let ok = 0;
  let bad = 0;
  for (const r of res.results) {
    if (r.ok) {
      ok++;
      rt.io.out(`virtualmachine/${r.name} ${r.changed ? p.green(past) : p.dim(`unchanged (already ${r.phase || 'there'})`)}\n`);
    } else {
      bad++;
      const e = r.error;
      rt.io.out(`virtualmachine/${r.name} ${p.red('failed')}: ${e ? `${e.code}: ${e.message}${e.why ? `: ${e.why}` : ''}; fix: ${e.fix}` : 'no reason given'}\n`);
    }
  }
  if (res.results.length === 0) rt.io.err(`No VMs matched${opts.selector ? ` ${opts.selector}` : ''}.\n`);
  else rt.io.out(`${ok} succeeded, ${bad} failed\n`);
  if (bad > 0) throw new CliExit(EXIT.error);
}

export async function runCordon(rt: Runtime, node: string, on: boolean): Promise<void> {
  await (await rt.api()).cordon(node, on);
  rt.io.out(`node/${node} ${on ? 'cordoned' : 'uncordoned'}\n`);
}
