/** The tree of `hvctl get`, `hvctl nodes` and `hvctl describe`; commands/get.ts does the work, loaded when one runs. */
import type { Command } from 'commander';
import type { GetOpts } from '../commands/get';
import type { Runtime } from '../commands/runtime';

export function registerGet(program: Command, rt: Runtime): void {
  const common = (c: Command) =>
    c.option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
      .option('-o, --output <format>', 'wide, json, yaml or name')
      .option('-w, --watch', 'after listing, print every change')
      .option('--no-headers', 'tables without the header line');
  common(program.command('get').argument('<kind>', 'vms, nodes, networks, ... (hvctl get --help lists them)').argument('[name]')
    .description('list objects of a kind, or show one')
    .option('--reveal', 'show Secret values and VM cloud-init in plain text (one object by name; needs secrets.reveal; audited)')
    .addHelpText('after', '\nKinds: virtualmachines (vm), nodes, networks (net), firewallpolicies (fwp), images (img), storagepools (pool),\n       backuppolicies (bp), backups, snapshots (snap), migrations (mig), secrets\n\nExamples:\n  hvctl get vms\n  hvctl get vm web-1 -o yaml\n  hvctl get vms -l group=lab -o wide --watch\n  hvctl get secret db-creds --reveal -o yaml'))
    .action(async (kind: string, name: string | undefined, opts: GetOpts & { headers?: boolean }) =>
      (await import('../commands/get.js')).runGet(rt, kind, name, { ...opts, noHeaders: opts.headers === false }));
  common(program.command('nodes').description('list nodes (same as get nodes)'))
    .action(async (opts: GetOpts & { headers?: boolean }) => (await import('../commands/get.js')).runGet(rt, 'nodes', undefined, { ...opts, noHeaders: opts.headers === false }));

  program.command('describe').argument('<kind>').argument('<name>')
    .description('show one object: spec, status, conditions and recent events')
    .addHelpText('after', '\nExample:\n  hvctl describe vm web-1')
    .action(async (kindInput: string, name: string) => (await import('../commands/get.js')).runDescribe(rt, kindInput, name));
}
