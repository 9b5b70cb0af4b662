/** `hvctl delete`, `start|stop|restart`, `cordon|uncordon`: imperative changes. */
import type { HvsError } from '@hvs/domain';
import { CliExit, EXIT, formatError, usageError } from '../errors';
import { loadLocal, readManifestFiles } from '../manifest/read';
import { resourceName } from '../printers/resources';
import { kindArg } from './kinds';
import { waitDeleted } from './wait-deleted';
import { parseDurationFlag, type Runtime } from './runtime';
import type { VmAction } from '../client/controller-client';

export interface DeleteOpts { filename: string[]; recursive?: boolean; wait?: boolean; timeout: string; ignoreNotFound?: boolean; force?: boolean }
export interface VmActionOpts { selector?: string; wait?: boolean; timeout: string; force?: boolean }

/** `hvctl delete KIND NAME` or `hvctl delete -f FILE`; a failure of one of several objects is reported and the rest go on. */
export async function runDelete(rt: Runtime, kindInput: string | undefined, name: string | undefined, opts: DeleteOpts): Promise<void> {
  const targets: { kind: string; name: string }[] = [];
  if (opts.filename.length > 0) {
    if (kindInput !== undefined) throw usageError('give either -f or KIND NAME, not both', 'hvctl delete -f FILE, or hvctl delete vm NAME');
    const loaded = loadLocal(await readManifestFiles(opts.filename, opts.recursive === true, rt.io));
    for (const r of loaded.resources) targets.push({ kind: r.kind, name: r.metadata.name });
  } else {
    if (kindInput === undefined || name === undefined) throw usageError('delete needs KIND NAME or -f FILE', 'e.g. hvctl delete vm web-1');
    targets.push({ kind: kindArg(kindInput), name });
  }
  const waitMs = opts.wait ? parseDurationFlag('--timeout', opts.timeout) : 0;
  let failed = 0;
  const terminating: { kind: string; name: string }[] = [];
  for (const t of targets) {
    try {
      // --wait polls here (wait-deleted.ts) for progress and a precise timeout error, not in the server.
      const res = await (await rt.api()).delete({ kind: t.kind, name: t.name, wait: false, resourceVersion: '', waitTimeoutMs: 0, force: opts.force === true });
      for (const w of res.warnings) rt.io.err(`warning: ${resourceName(t.kind, t.name)}: ${w}\n`);
      if (!res.gone) terminating.push(t);
      if (res.gone || !opts.wait) rt.io.out(`${resourceName(t.kind, t.name)} ${res.gone ? 'deleted' : 'deletion requested'}\n`);
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
