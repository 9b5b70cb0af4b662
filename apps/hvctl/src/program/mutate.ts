/** The tree of `hvctl delete`, `start|stop|restart` and `cordon|uncordon`; commands/mutate.ts does the work, loaded when one runs. */
import type { Command } from 'commander';
import type { VmAction } from '../client/controller-client';
import type { DeleteOpts, VmActionOpts } from '../commands/mutate';
import type { Runtime } from '../commands/runtime';

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerMutations(program: Command, rt: Runtime): void {
  program.command('delete').argument('[kind]').argument('[names...]')
    .description('delete objects of a kind by name or label selector (all or none), or every object in manifests (-f)')
    .option('-l, --selector <selector>', 'delete every object of KIND matching this label selector')
    .option('-f, --filename <path>', 'delete what these manifests name (repeatable)', collect, [])
    .option('-R, --recursive', 'descend into subdirectories of -f directories')
    .option('--wait', 'return only when the objects are gone (finalizers done)')
    .option('--timeout <duration>', 'how long --wait waits', '5m')
    .option('--ignore-not-found', 'an object that does not exist is not an error (several names: the others are deleted)')
    .addHelpText('after', '\nNAMEs and -l delete in one transaction: if one NAME does not exist, nothing is deleted.\n\nExamples:\n  hvctl delete vm web-1 --wait\n  hvctl delete vm web-1 web-2 web-3\n  hvctl delete vms -l group=lab\n  hvctl delete -f examples/quickstart.yaml')
    .action(async (kindInput: string | undefined, names: string[], opts: DeleteOpts) => (await import('../commands/mutate.js')).runDelete(rt, kindInput, names, opts));

  const vmAction = (action: VmAction, description: string, past: string) => {
    const cmd = program.command(action).argument('[names...]').description(description)
      .option('-l, --selector <selector>', 'act on every VM matching this label selector')
      .option('--wait', 'return when each VM reached the wanted phase')
      .option('--timeout <duration>', 'how long --wait waits', '5m');
    if (action === 'stop') cmd.option('--force', 'power off at once instead of an ACPI shutdown');
    cmd.addHelpText('after', `\nExamples:\n  hvctl ${action} web-1 web-2\n  hvctl ${action} -l group=lab --wait`);
    cmd.action(async (names: string[], opts: VmActionOpts) => (await import('../commands/mutate.js')).runVmAction(rt, action, past, names, opts));
  };
  vmAction('start', 'start VMs (sets spec.runState: Running)', 'started');
  vmAction('stop', 'stop VMs (sets spec.runState: Stopped)', 'stopped');
  vmAction('restart', 'restart running VMs', 'restarted');

  for (const [cmd, on] of [['cordon', true], ['uncordon', false]] as const) {
    program.command(cmd).argument('<node>').description(on ? 'mark a node unschedulable (running VMs stay)' : 'mark a node schedulable again')
      .action(async (node: string) => (await import('../commands/mutate.js')).runCordon(rt, node, on));
  }
}
