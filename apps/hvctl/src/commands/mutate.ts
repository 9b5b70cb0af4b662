/** `hvctl delete`, `start|stop|restart`, `cordon|uncordon`: imperative changes. */
import type { Command } from 'commander';
import type { HvsError } from '@hvs/domain';
import { CliExit, EXIT, formatError, usageError } from '../errors';
import { loadLocal, readManifestFiles } from '../manifest/read';
import { resourceName } from '../printers/resources';
import { kindArg } from './kinds';
import { parseDurationFlag, type Runtime } from './runtime';
import type { VmAction } from '../client/controller-client';

const collect = (v: string, prev: string[]) => [...prev, v];

interface DeleteOpts { filename: string[]; recursive?: boolean; wait?: boolean; timeout: string; ignoreNotFound?: boolean }

export function registerMutations(program: Command, rt: Runtime): void {
  program.command('delete').argument('[kind]').argument('[name]')
    .description('delete an object by kind and name, or every object in manifests (-f)')
    .option('-f, --filename <path>', 'delete what these manifests name (repeatable)', collect, [])
    .option('-R, --recursive', 'descend into subdirectories of -f directories')
    .option('--wait', 'return only when the objects are gone (finalizers done)')
    .option('--timeout <duration>', 'how long --wait waits', '5m')
    .option('--ignore-not-found', 'an object that does not exist is not an error')
    .addHelpText('after', '\nExamples:\n  hvctl delete vm web-1 --wait\n  hvctl delete -f examples/quickstart.yaml')
    .action(async (kindInput: string | undefined, name: string | undefined, opts: DeleteOpts) => {
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
      for (const t of targets) {
        try {
          const res = await rt.api().delete({ kind: t.kind, name: t.name, wait: opts.wait === true, resourceVersion: '', waitTimeoutMs: waitMs });
          const word = res.gone ? 'deleted' : opts.wait ? 'still deleting (finalizers not done before --timeout)' : 'deletion requested';
          rt.io.out(`${resourceName(t.kind, t.name)} ${word}\n`);
          if (opts.wait && !res.gone) failed++;
        } catch (e) {
          if ((e as HvsError).category === 'NotFound' && opts.ignoreNotFound) continue;
          if ((e as HvsError).category === 'Unavailable' || targets.length === 1) throw e;
          failed++;
          rt.io.err(formatError(e, rt.debug));
        }
      }
      if (failed > 0) throw new CliExit(EXIT.error);
    });

  const vmAction = (action: VmAction, description: string, past: string) => {
    const cmd = program.command(action).argument('[names...]').description(description)
      .option('-l, --selector <selector>', 'act on every VM matching this label selector')
      .option('--wait', 'return when each VM reached the wanted phase')
      .option('--timeout <duration>', 'how long --wait waits', '5m');
    if (action === 'stop') cmd.option('--force', 'power off at once instead of an ACPI shutdown');
    cmd.addHelpText('after', `\nExamples:\n  hvctl ${action} web-1 web-2\n  hvctl ${action} -l group=lab --wait`);
    cmd.action(async (names: string[], opts: { selector?: string; wait?: boolean; timeout: string; force?: boolean }) => {
      if (names.length === 0 && !opts.selector) throw usageError(`${action} needs VM names or -l SELECTOR`, `e.g. hvctl ${action} web-1, or hvctl ${action} -l group=lab`);
      const waitMs = opts.wait ? parseDurationFlag('--timeout', opts.timeout) : 0;
      const res = await rt.api().vmAction(action, { names, labelSelector: opts.selector ?? '', force: opts.force === true, wait: opts.wait === true, waitTimeoutMs: waitMs });
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
    });
  };
  vmAction('start', 'start VMs (sets spec.runState: Running)', 'started');
  vmAction('stop', 'stop VMs (sets spec.runState: Stopped)', 'stopped');
  vmAction('restart', 'restart running VMs', 'restarted');

  for (const [cmd, on] of [['cordon', true], ['uncordon', false]] as const) {
    program.command(cmd).argument('<node>').description(on ? 'mark a node unschedulable (running VMs stay)' : 'mark a node schedulable again')
      .action(async (node: string) => {
        await rt.api().cordon(node, on);
        rt.io.out(`node/${node} ${on ? 'cordoned' : 'uncordoned'}\n`);
      });
  }
}
