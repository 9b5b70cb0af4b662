/**
 * `hvctl token create|list|revoke`: API tokens for automation (admin only; docs/security.md).
 * The secret exists once, in the answer to create: it goes to stdout alone (so
 * `hvctl token create ci --role operator > ci.token` stores exactly the token) or to a file
 * made 0600 from its first byte, never to stderr, argv or an error; `list` never has it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliError, usageError } from '../errors';
import { renderTable } from '../printers/table';
import { jsonOutput, parseDurationFlag, tokenIdArg, type Runtime } from './runtime';
import { checkIdentityName } from './users';

export interface CreateTokenOpts { role: string; scope?: string; ttl: string; output?: string }

export async function createToken(rt: Runtime, name: string, opts: CreateTokenOpts): Promise<void> {
  checkIdentityName(name, 'token');
  const ttlSeconds = Math.round(parseDurationFlag('--ttl', opts.ttl) / 1000);
  if (ttlSeconds < 1) throw usageError(`--ttl "${opts.ttl}" is shorter than a second`, 'give a lifetime like 30d, 12h or 90m');
  const file = opts.output === undefined ? undefined : outputFile(opts.output);
  const current = await rt.context();
  const res = await (await rt.api()).createToken({ name, role: opts.role, scope: opts.scope ?? '', ttlSeconds });
  const t = res.token!;
  if (file !== undefined) {
    try {
      const { KEY_MODE, writeFileAtomic } = await import('@hvs/pki');
      writeFileAtomic(file, `${res.secret}\n`, KEY_MODE);
    } catch (e) {
      throw cliError('HVS-CLI-TOKEN-OUTPUT-UNWRITABLE', `the token ${t.id} was created, but ${file} could not be written`,
        `revoke it (\`hvctl token revoke ${t.id}\`) and create another, writing to a folder you can write`, (e as Error).message);
    }
  } else {
    rt.io.out(`${res.secret}\n`);
  }
  const caFile = current.credentials.type === 'tls' ? current.credentials.caFile : 'CA.crt';
  const tokenFile = file ?? `${name}.token`;
  rt.io.err([
    `API token ${t.id} "${name}" created: role ${t.role}${t.scope ? `, scope ${t.scope}` : ''}, valid until ${t.expiresAt}.`,
    file !== undefined ? `The token is in ${file} (0600); it is shown nowhere else.` : `The token ${rt.io.stdoutTty ? 'above' : 'on stdout'} is shown once; the controller keeps only its hash.`,
    // A shell redirect creates the file with the umask (often 0644): say so, --output does not need it.
    ...(file === undefined && !rt.io.stdoutTty ? [`A file you redirected it to is as readable as your umask made it: chmod 600 it (--output FILE creates it 0600).`] : []),
    `Use it from a context (the file is read at each call; keep it 0600):`,
    `  hvctl config set-context ${name} --controller ${current.controller} --ca-file ${caFile} --token-file ${tokenFile}`,
    `Revoke it with: hvctl token revoke ${t.id}`,
    '',
  ].join('\n'));
}

/** --output names a file; a format word there is the -o habit of other commands, not a file name. */
function outputFile(raw: string): string {
  if (['json', 'yaml', 'wide', 'name'].includes(raw)) throw usageError(`--output "${raw}" looks like a format, but here it names the file the token is written to`, 'give a path, e.g. --output ci.token (list tokens as JSON with `hvctl token list -o json`)');
  const file = path.resolve(raw);
  let dir: fs.Stats | undefined;
  try {
    dir = fs.statSync(path.dirname(file));
  } catch {
    dir = undefined;
  }
  if (!dir?.isDirectory()) throw usageError(`the folder of --output ${raw} does not exist`, 'create the folder first, or name a file in an existing one');
  return file;
}

export async function listTokens(rt: Runtime, opts: { output?: string }): Promise<void> {
  const json = jsonOutput(opts.output);
  const { tokens } = await (await rt.api()).listTokens();
  if (json) {
    rt.io.out(`${JSON.stringify({ tokens }, null, 2)}\n`);
    return;
  }
  if (tokens.length === 0) {
    rt.io.err('No API tokens; create one with `hvctl token create NAME --role viewer`.\n');
    return;
  }
  rt.io.out(renderTable(['ID', 'NAME', 'TYPE', 'ROLE', 'SCOPE', 'EXPIRES', 'CREATED-BY'], tokens.map((t) => [t.id, t.name, t.type, t.role, t.scope || '(all)', t.expiresAt, t.createdBy])));
}

export async function revokeToken(rt: Runtime, id: string): Promise<void> {
  const wanted = tokenIdArg(id, 'hvctl token list');
  const { revoked } = await (await rt.api()).revokeToken(wanted);
  if (!revoked) throw cliError('HVS-CLI-TOKEN-NOT-FOUND', `no API token ${wanted}`, 'list them with `hvctl token list`', 'it was revoked already, expired, or never existed', 'NotFound');
  rt.io.out(`API token ${wanted} revoked: calls with it are refused from now on.\n`);
}
