/** The tree of `hvctl config ...`; commands/config.ts (and the yaml reader) is loaded when one runs. */
import type { Command } from 'commander';
import type { SetContextOpts } from '../commands/config';
import type { Runtime } from '../commands/runtime';

const impl = () => import('../commands/config.js');

export function registerConfig(program: Command, rt: Runtime): void {
  const config = program.command('config').description(`manage contexts (controller address + credentials) in ~/.config/hvs/config.yaml`);

  config.command('get-contexts').description('list contexts; * marks the current one').action(async () => (await impl()).getContexts(rt));

  config.command('current-context').description('print the context in use').action(async () => (await impl()).currentContext(rt));

  config.command('use-context').argument('<name>').description('make NAME the current context').action(async (name: string) => (await impl()).useContext(rt, name));

  config.command('set-context').argument('<name>').description('add or change a context')
    .requiredOption('--controller <host:port>', "the controller's gRPC address")
    .option('--token-file <path>', 'bearer token read from this file on each call')
    .option('--ca-file <path>', 'TLS: CA certificate (PEM); enables TLS')
    .option('--cert-file <path>', 'TLS: client certificate (PEM)')
    .option('--key-file <path>', 'TLS: client key (PEM)')
    .option('--use', 'also make it the current context')
    .addHelpText('after', '\nExample:\n  hvctl config set-context lab --controller 10.0.0.5:7443 --ca-file ca.pem --cert-file me.pem --key-file me-key.pem --use')
    .action(async (name: string, opts: SetContextOpts) => (await impl()).setContext(rt, name, opts));

  config.command('delete-context').argument('<name>').description('remove a context').action(async (name: string) => (await impl()).deleteContext(rt, name));
}
