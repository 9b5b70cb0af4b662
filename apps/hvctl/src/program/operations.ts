/**
 * The tree of `hvctl migrate`, `drain`, `capacity` and `diagnose`; what each does is in
 * commands/<name>.ts, loaded when it runs.
 */
import type { Command } from 'commander';
import type { CapacityOpts } from '../commands/capacity';
import type { DrainOpts } from '../commands/drain';
import type { MigrateOpts } from '../commands/migrate';
import type { Runtime } from '../commands/runtime';

export function registerMigrate(program: Command, rt: Runtime): void {
  program.command('migrate').argument('<vm>').description('move a VM to another node (live by default; offline where the node cannot live-migrate)')
    .option('--to <node>', 'target node (default: the scheduler picks, never the current node)')
    .option('--mode <mode>', 'live, postcopy or offline (default: live when the node can)')
    .option('--max-downtime <duration>', 'longest pause QEMU may take to finish, e.g. 100ms (default 300ms)')
    .option('--copy-storage', 'copy local-only disks to the target (the default for live and post-copy moves)')
    .option('--no-copy-storage', 'never copy disks: refuse when the VM has a disk on a pool that is not shared')
    .option('--bandwidth <rate>', 'cap the migration stream, e.g. 100MB (bytes/s) or 1Gbit (default: no cap)')
    .option('--dry-run', 'print the estimate only; create nothing')
    .option('--cancel', 'stop the VM\'s migration in flight: it stays on its source (too late once post-copy switched over)')
    .option('--timeout <duration>', 'how long to follow the migration', '30m')
    .addHelpText('after', '\nExamples:\n  hvctl migrate web-1 --dry-run\n  hvctl migrate web-1 --to node-b --max-downtime 100ms\n  hvctl migrate db-1 --mode postcopy\n  hvctl migrate web-1 --cancel')
    .action(async (vm: string, opts: MigrateOpts) => (await import('../commands/migrate.js')).runMigrate(rt, vm, opts));
}

export function registerDrain(program: Command, rt: Runtime): void {
  program.command('drain').argument('<node>').description('move every VM off a node (maintenance), then leave it cordoned')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--max-parallel <n>', 'migrations from this node at once (the cluster limits still apply)', '1')
    .addHelpText('after', '\nExamples:\n  hvctl drain node-b            # shows the plan, asks, moves\n  hvctl drain node-b --yes\n  hvctl uncordon node-b         # ends the maintenance')
    .action(async (node: string, opts: DrainOpts) => (await import('../commands/drain.js')).runDrain(rt, node, opts));
}

export function registerCapacity(program: Command, rt: Runtime): void {
  program.command('capacity').description('N+1 check: would every HA VM restart somewhere if any one node failed')
    .option('-o, --output <format>', 'json: the report as JSON')
    .option('--exit-code', 'exit 2 when the cluster is not N+1 (for scripts and CI)')
    .addHelpText('after', '\nExamples:\n  hvctl capacity\n  hvctl capacity -o json --exit-code')
    .action(async (opts: CapacityOpts) => (await import('../commands/capacity.js')).runCapacity(rt, opts));
}

export function registerDiagnose(program: Command, rt: Runtime): void {
  program.command('diagnose')
    .description('check the controller, leader, etcd, nodes, certificate expiry (30 days) and every agent; exit 1 on a failure')
    .option('-o, --output <format>', 'json')
    .action(async (f: { output?: string }) => (await import('../commands/diagnose.js')).runDiagnose(rt, f));
}
