/**
 * `hvctl user create|list|delete` (admin only; docs/security.md). `create` makes the user's key
 * and CSR here, so the private key never crosses the network and is never printed: the
 * controller signs the CSR and answers with the certificate and the cluster CA, which land
 * with the key in a 0700 folder beside the contexts file, and a context that uses them.
 */
import * as fs from 'node:fs';
import { readConfig, upsertContext, validateContextInput, writeConfig, type Context } from '../config/contexts';
import { prepareUserDir, userFiles, writeUserFiles, folderName } from '../config/user-files';
import { cliError, usageError } from '../errors';
import { renderTable } from '../printers/table';
import { jsonOutput, type Runtime } from './runtime';

export interface CreateUserOpts { role: string; scope?: string; days?: string; contextName?: string; renew?: boolean }

/** The controller's rule for user and token names (they appear in certificates and as user:<name> in the audit log). */
export const IDENTITY_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function checkIdentityName(name: string, what: string): void {
  if (!IDENTITY_NAME.test(name)) throw usageError(`the ${what} name "${name.slice(0, 80)}" is invalid`, 'use 1-63 lowercase letters, digits and "-", e.g. alice or ci-deploy');
}

export async function createUser(rt: Runtime, name: string, opts: CreateUserOpts): Promise<void> {
  checkIdentityName(name, 'user');
  const days = opts.days === undefined ? 0 : Number(opts.days);
  if (!Number.isInteger(days) || days < 0 || days > 3650) throw usageError(`--days "${opts.days}" is not a number of days`, 'give a whole number from 1 to 3650 (default 365)');
  const current = await rt.context();
  const contextName = opts.contextName ?? `${name}@${folderName(current.name)}`;
  // Everything local is checked before the controller is asked: afterwards the user exists.
  validateContextInput(contextName, current.controller);
  if (contextName === current.name) throw usageError(`--context-name ${contextName} is the context this command uses`, `pick another name: replacing it would drop the credential you are calling with`);
  const files = userFiles(rt.io.env, current.name, name);
  prepareUserDir(files);
  const { createUserKeyAndCsr } = await import('@hvs/pki');
  const { keyPem, csrPem } = await createUserKeyAndCsr(name);
  const api = await rt.api();
  const res = await api.createUser({ name, role: opts.role, scope: opts.scope ?? '', csrPem, validityDays: days, renew: opts.renew === true });
  try {
    writeUserFiles(files, { keyPem, certPem: res.certificatePem, caPem: res.caCertificatePem });
  } catch (e) {
    throw cliError('HVS-CLI-USER-FILES-UNWRITABLE', `the user "${name}" was ${opts.renew ? 'renewed' : 'created'}, but its files could not be written to ${files.dir}`,
      `make the folder writable, then issue a new certificate with \`hvctl user create ${name} --role ${opts.role} --renew\``, (e as Error).message);
  }
  const tls = current.credentials.type === 'tls' ? current.credentials : undefined;
  const ctx: Context = {
    name: contextName, controller: current.controller,
    credentials: { type: 'tls', caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile, ...(tls?.serverName ? { serverName: tls.serverName } : {}) },
  };
  const config = readConfig(rt.io.env);
  const existed = config.contexts.some((c) => c.name === contextName);
  const configFile = writeConfig(rt.io.env, upsertContext(config, ctx, false));
  const u = res.user!;
  rt.io.out([
    `User "${name}" ${opts.renew ? 'renewed' : 'created'}: role ${u.role}${u.scope ? `, scope ${u.scope}` : ''}, certificate valid until ${u.certificateExpiresAt}.`,
    `Wrote (folder 0700; the key was made here, never sent, and is readable only by you):`,
    `  ${files.keyFile}   private key (0600)`,
    `  ${files.certFile}   certificate`,
    `  ${files.caFile}   cluster CA`,
    `Context "${contextName}" ${existed ? 'updated' : 'added'} in ${configFile} (controller ${current.controller}); check it: hvctl --context ${contextName} auth whoami`,
    ``,
    `To hand it to ${name}: copy the folder over a private channel (scp, a password manager; not e-mail or chat), then on their machine:`,
    `  hvctl config set-context ${contextName} --controller ${current.controller} --ca-file ca.crt --cert-file ${name}.crt --key-file ${name}.key --use`,
    `(paths as copied; keep the key 0600), and remove this copy: rm -r ${files.dir} && hvctl config delete-context ${contextName}`,
    '',
  ].join('\n'));
}

export async function listUsers(rt: Runtime, opts: { output?: string }): Promise<void> {
  const json = jsonOutput(opts.output);
  const { users } = await (await rt.api()).listUsers();
  if (json) {
    rt.io.out(`${JSON.stringify({ users }, null, 2)}\n`);
    return;
  }
  if (users.length === 0) {
    rt.io.err('No users (besides the bootstrap admin of `hvctl up`); add one with `hvctl user create NAME --role viewer`.\n');
    return;
  }
  rt.io.out(renderTable(['NAME', 'ROLE', 'SCOPE', 'CERT-EXPIRES', 'CREATED'], users.map((u) => [u.name, u.role, u.scope || '(all)', u.certificateExpiresAt || '-', u.createdAt])));
}

export async function deleteUser(rt: Runtime, name: string): Promise<void> {
  checkIdentityName(name, 'user');
  const current = await rt.context();
  const { deleted } = await (await rt.api()).deleteUser(name);
  if (!deleted) {
    throw cliError('HVS-CLI-USER-NOT-FOUND', `the user "${name}" does not exist`, 'list them with `hvctl user list`', 'nothing was deleted', 'NotFound');
  }
  const lines = [`User "${name}" deleted: its certificates stop working at once (calls with them get HVS-AUTH-CREDENTIAL-INVALID).`];
  const files = userFiles(rt.io.env, current.name, name);
  if (fs.existsSync(files.dir)) lines.push(`Its files here are useless now; remove them: rm -r ${files.dir} && hvctl config delete-context ${name}@${folderName(current.name)}`);
  rt.io.out(`${lines.join('\n')}\n`);
}
