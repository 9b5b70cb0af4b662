/** `hvctl config get-contexts|current-context|use-context|set-context|delete-context`. */
import type { Command } from 'commander';
import { cliError } from '../errors';
import { configPath, readConfig, upsertContext, validateContextInput, writeConfig, type Credentials } from '../config/contexts';
import { renderTable } from '../printers/table';
import type { Runtime } from './runtime';

export function registerConfig(program: Command, rt: Runtime): void {
  const config = program.command('config').description(`manage contexts (controller address + credentials) in ~/.config/hvs/config.yaml`);

  config.command('get-contexts').description('list contexts; * marks the current one').action(() => {
    const c = readConfig(rt.io.env);
    if (c.contexts.length === 0) {
      rt.io.err(`No contexts in ${configPath(rt.io.env)}; \`hvctl up\` writes "local", or add one with \`hvctl config set-context NAME --controller HOST:PORT\`.\n`);
      return;
    }
    rt.io.out(renderTable(['CURRENT', 'NAME', 'CONTROLLER', 'CREDENTIALS'], c.contexts.map((x) => [
      x.name === c.currentContext ? '*' : '', x.name, x.controller,
      x.credentials.type === 'token' ? `token (${x.credentials.tokenFile})` : x.credentials.type === 'tls' ? `tls (${x.credentials.caFile})` : 'insecure',
    ])));
  });

  config.command('current-context').description('print the context in use').action(() => {
    rt.io.out(`${rt.context().name}\n`);
  });

  config.command('use-context').argument('<name>').description('make NAME the current context').action((name: string) => {
    const c = readConfig(rt.io.env);
    if (!c.contexts.some((x) => x.name === name)) {
      throw cliError('HVS-CLI-CONTEXT-NOT-FOUND', `context "${name}" does not exist`, 'list them with `hvctl config get-contexts`, or add it with `hvctl config set-context`', undefined, 'NotFound');
    }
    writeConfig(rt.io.env, { ...c, currentContext: name });
    rt.io.out(`Switched to context "${name}".\n`);
  });

  config.command('set-context').argument('<name>').description('add or change a context')
    .requiredOption('--controller <host:port>', "the controller's gRPC address")
    .option('--token-file <path>', 'bearer token read from this file on each call')
    .option('--ca-file <path>', 'TLS: CA certificate (PEM); enables TLS')
    .option('--cert-file <path>', 'TLS: client certificate (PEM)')
    .option('--key-file <path>', 'TLS: client key (PEM)')
    .option('--use', 'also make it the current context')
    .addHelpText('after', '\nExample:\n  hvctl config set-context lab --controller 10.0.0.5:7443 --ca-file ca.pem --cert-file me.pem --key-file me-key.pem --use')
    .action((name: string, opts: { controller: string; tokenFile?: string; caFile?: string; certFile?: string; keyFile?: string; use?: boolean }) => {
      validateContextInput(name, opts.controller);
      const credentials: Credentials = opts.caFile
        ? { type: 'tls', caFile: opts.caFile, ...(opts.certFile ? { certFile: opts.certFile } : {}), ...(opts.keyFile ? { keyFile: opts.keyFile } : {}) }
        : opts.tokenFile ? { type: 'token', tokenFile: opts.tokenFile } : { type: 'insecure' };
      const c = readConfig(rt.io.env);
      const next = upsertContext(c, { name, controller: opts.controller, credentials }, opts.use === true || c.currentContext === undefined);
      const file = writeConfig(rt.io.env, next);
      rt.io.out(`Context "${name}" ${c.contexts.some((x) => x.name === name) ? 'modified' : 'created'} in ${file}${next.currentContext === name ? ' (current)' : ''}.\n`);
    });

  config.command('delete-context').argument('<name>').description('remove a context').action((name: string) => {
    const c = readConfig(rt.io.env);
    if (!c.contexts.some((x) => x.name === name)) throw cliError('HVS-CLI-CONTEXT-NOT-FOUND', `context "${name}" does not exist`, 'list them with `hvctl config get-contexts`', undefined, 'NotFound');
    writeConfig(rt.io.env, { contexts: c.contexts.filter((x) => x.name !== name), ...(c.currentContext !== name && c.currentContext ? { currentContext: c.currentContext } : {}) });
    rt.io.out(`Context "${name}" deleted.\n`);
  });
}
