/** `hvctl config get-contexts|current-context|use-context|set-context|delete-context`. */
import { cliError } from '../errors';
import { configPath, readConfig, upsertContext, validateContextInput, writeConfig, type Credentials } from '../config/contexts';
import { renderTable } from '../printers/table';
import type { Runtime } from './runtime';

export interface SetContextOpts { controller: string; tokenFile?: string; caFile?: string; certFile?: string; keyFile?: string; use?: boolean }

export function getContexts(rt: Runtime): void {
  const c = readConfig(rt.io.env);
  if (c.contexts.length === 0) {
    rt.io.err(`No contexts in ${configPath(rt.io.env)}; \`hvctl up\` writes "local", or add one with \`hvctl config set-context NAME --controller HOST:PORT\`.\n`);
    return;
  }
  rt.io.out(renderTable(['CURRENT', 'NAME', 'CONTROLLER', 'CREDENTIALS'], c.contexts.map((x) => [
    x.name === c.currentContext ? '*' : '', x.name, x.controller,
    describeCredentials(x.credentials),
  ])));
}

/** Which files a context presents (never their contents). */
function describeCredentials(c: Credentials): string {
  if (c.type === 'token') return `token (${c.tokenFile})`;
  if (c.type === 'insecure') return 'insecure';
  return [`tls (${c.caFile})`, ...(c.certFile ? [`cert (${c.certFile})`] : []), ...(c.tokenFile ? [`token (${c.tokenFile})`] : [])].join(' + ');
}

export async function currentContext(rt: Runtime): Promise<void> {
  rt.io.out(`${(await rt.context()).name}\n`);
}

export function useContext(rt: Runtime, name: string): void {
  const c = readConfig(rt.io.env);
  if (!c.contexts.some((x) => x.name === name)) {
    throw cliError('HVS-CLI-CONTEXT-NOT-FOUND', `context "${name}" does not exist`, 'list them with `hvctl config get-contexts`, or add it with `hvctl config set-context`', undefined, 'NotFound');
  }
  writeConfig(rt.io.env, { ...c, currentContext: name });
  rt.io.out(`Switched to context "${name}".\n`);
}

export function setContext(rt: Runtime, name: string, opts: SetContextOpts): void {
  validateContextInput(name, opts.controller);
  const credentials: Credentials = opts.caFile
    ? { type: 'tls', caFile: opts.caFile, ...(opts.certFile ? { certFile: opts.certFile } : {}), ...(opts.keyFile ? { keyFile: opts.keyFile } : {}), ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}) }
    : opts.tokenFile ? { type: 'token', tokenFile: opts.tokenFile } : { type: 'insecure' };
  const c = readConfig(rt.io.env);
  const next = upsertContext(c, { name, controller: opts.controller, credentials }, opts.use === true || c.currentContext === undefined);
  const file = writeConfig(rt.io.env, next);
  rt.io.out(`Context "${name}" ${c.contexts.some((x) => x.name === name) ? 'modified' : 'created'} in ${file}${next.currentContext === name ? ' (current)' : ''}.\n`);
}

export function deleteContext(rt: Runtime, name: string): void {
  const c = readConfig(rt.io.env);
  if (!c.contexts.some((x) => x.name === name)) throw cliError('HVS-CLI-CONTEXT-NOT-FOUND', `context "${name}" does not exist`, 'list them with `hvctl config get-contexts`', undefined, 'NotFound');
  writeConfig(rt.io.env, { contexts: c.contexts.filter((x) => x.name !== name), ...(c.currentContext !== name && c.currentContext ? { currentContext: c.currentContext } : {}) });
  rt.io.out(`Context "${name}" deleted.\n`);
}
