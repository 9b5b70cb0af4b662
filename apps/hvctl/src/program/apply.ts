/** The tree of `hvctl apply` and `hvctl plan` (alias `diff`); what they do is in commands/apply.ts, loaded when one runs. */
import type { Command } from 'commander';
import type { ApplyOpts, PlanOpts } from '../commands/apply';
import type { Runtime } from '../commands/runtime';

const collect = (v: string, prev: string[]) => [...prev, v];
const SSH_KEY_HELP = 'put SSH public keys into VMs with spec.cloudInit but no keys or userData: auto = every ~/.ssh/*.pub, or a file (repeatable)';

export function registerApply(program: Command, rt: Runtime): void {
  program
    .command('apply')
    .description('create or update objects from manifests, all or nothing')
    .option('-f, --filename <path>', 'manifest file, directory, or - for stdin (repeatable)', collect, [])
    .option('-R, --recursive', 'descend into subdirectories of -f directories')
    .option('--prune', 'delete objects matching -l that the manifests no longer name')
    .option('-l, --selector <selector>', 'label selector for --prune (e.g. app=web)')
    .option('--dry-run', 'validate and show what would happen; write nothing')
    .option('--wait', 'wait until every VM applied reaches its spec.runState')
    .option('--timeout <duration>', 'how long --wait waits', '5m')
    .option('--ssh-key <auto|file>', SSH_KEY_HELP, collect, [])
    .addHelpText('after', '\nExamples:\n  hvctl apply -f examples/quickstart.yaml --wait --ssh-key auto\n  hvctl apply -f manifests/ -R --prune -l app=lab\n  cat vm.yaml | hvctl apply -f -')
    .action(async (opts: ApplyOpts) => (await import('../commands/apply.js')).runApply(rt, opts));

  program
    .command('plan')
    .alias('diff')
    .description('show what apply would change, per object and field, and what restarts or migrates (exit 0: no changes, 2: changes)')
    .option('-f, --filename <path>', 'manifest file, directory, or - for stdin (repeatable)', collect, [])
    .option('-R, --recursive', 'descend into subdirectories of -f directories')
    .option('--prune', 'also show objects matching -l that would be deleted')
    .option('-l, --selector <selector>', 'label selector for --prune')
    .option('--show-unchanged', 'list unchanged objects too')
    .option('-o, --output <format>', 'json: the plan as JSON')
    .option('--ssh-key <auto|file>', SSH_KEY_HELP, collect, [])
    .addHelpText('after', '\nExamples:\n  hvctl plan -f examples/quickstart.yaml\n  hvctl diff -f vm.yaml && echo "nothing to do"')
    .action(async (opts: PlanOpts) => (await import('../commands/apply.js')).runPlan(rt, opts));
}
