/**
 * The trees of `hvctl user`, `token` and `auth` (who may call the controller; docs/security.md);
 * commands/users.ts, api-tokens.ts and auth.ts (and the PKI code behind `user create`) load
 * only when one runs.
 */
import type { Command } from 'commander';
import type { CreateTokenOpts } from '../commands/api-tokens';
import type { Runtime } from '../commands/runtime';
import type { CreateUserOpts } from '../commands/users';

const ROLES = 'viewer (read), operator (VM lifecycle, consoles, migrations) or admin (everything)';

export function registerUsers(program: Command, rt: Runtime): void {
  const user = program.command('user').description('people who may call the controller, each with a client certificate (admin only)');
  const impl = () => import('../commands/users.js');

  user.command('create').argument('<name>', 'the user name: lowercase letters, digits and -')
    .description('make a key here, have the controller sign its certificate, and add a context that uses it')
    .requiredOption('--role <role>', ROLES)
    .option('--scope <selector>', "limit the role to objects with these labels, e.g. 'team=web'")
    .option('--days <n>', 'certificate validity in days (default 365)')
    .option('--context-name <name>', 'name of the new context (default NAME@CURRENT-CONTEXT)')
    .option('--renew', 'issue another certificate for an existing user (the old ones work until the user is deleted)')
    .addHelpText('after', "\nExamples:\n  hvctl user create alice --role viewer\n  hvctl user create bob --role operator --scope 'team=web' --days 90\n  hvctl user create alice --role viewer --renew")
    .action(async (name: string, opts: CreateUserOpts) => (await impl()).createUser(rt, name, opts));

  user.command('list').description('list users: role, scope, certificate expiry')
    .option('-o, --output <format>', 'json')
    .action(async (opts: { output?: string }) => (await impl()).listUsers(rt, opts));

  user.command('delete').argument('<name>').description('delete a user: its certificates stop working at once')
    .action(async (name: string) => (await impl()).deleteUser(rt, name));
}

export function registerApiTokens(program: Command, rt: Runtime): void {
  const token = program.command('token').description('API tokens for automation, sent as a bearer token (admin only)');
  const impl = () => import('../commands/api-tokens.js');

  token.command('create').argument('<name>', 'what the token is for: lowercase letters, digits and -')
    .description('create an API token; only the token goes to stdout, once')
    .requiredOption('--role <role>', ROLES)
    .option('--scope <selector>', "limit the role to objects with these labels, e.g. 'team=web'")
    .option('--ttl <duration>', 'lifetime, at most 365d', '30d')
    .option('--output <file>', 'write the token to this file (0600) instead of stdout')
    .addHelpText('after', '\nExamples:\n  hvctl token create ci --role operator > ci.token\n  hvctl token create ci --role operator --ttl 90d --output ci.token')
    .action(async (name: string, opts: CreateTokenOpts) => (await impl()).createToken(rt, name, opts));

  token.command('list').description('list API tokens and sessions (never their secrets)')
    .option('-o, --output <format>', 'json')
    .action(async (opts: { output?: string }) => (await impl()).listTokens(rt, opts));

  token.command('revoke').argument('<id>', 'the ID column of `hvctl token list`').description('revoke a token: calls with it are refused at once')
    .action(async (id: string) => (await impl()).revokeToken(rt, id));
}

export function registerAuth(program: Command, rt: Runtime): void {
  const auth = program.command('auth').description("what this context's credential may do");
  const impl = () => import('../commands/auth.js');

  auth.command('whoami').description('the identity, role, scope and permissions the controller sees')
    .option('-o, --output <format>', 'json')
    .action(async (opts: { output?: string }) => (await impl()).whoAmI(rt, opts));

  auth.command('can-i').argument('<action>', 'a permission (vms.lifecycle) or an API method (VmService/Start)')
    .argument('[kind]', 'the object kind, to check a scoped role against its labels').argument('[name]', 'the object name')
    .description('may I? prints yes (exit 0) or no with the reason (exit 1)')
    .addHelpText('after', '\nExamples:\n  hvctl auth can-i vms.lifecycle\n  hvctl auth can-i VmService/Start vm web-1\n  hvctl auth can-i ResourceService/Apply network lan')
    .action(async (action: string, kind: string | undefined, name: string | undefined) => (await impl()).canI(rt, action, kind, name));
}
