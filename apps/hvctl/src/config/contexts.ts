/**
 * hvctl's contexts file (kubeconfig-like): which controller to talk to and with which
 * credentials. Location: $HVS_CONFIG, else $XDG_CONFIG_HOME/hvs/config.yaml, else
 * ~/.config/hvs/config.yaml. Written atomically (temp file + rename) with mode 0600 in a
 * 0700 directory. Credentials are references to files, never secrets inline.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { cliError } from '../errors';

export type Credentials =
  | { type: 'insecure' }
  /** Bearer token read from a file at call time. */
  | { type: 'token'; tokenFile: string }
  /** TLS trusting caFile; the identity is a client certificate (certFile + keyFile) and/or a bearer token read from tokenFile at each call. */
  | { type: 'tls'; caFile: string; certFile?: string; keyFile?: string; tokenFile?: string; serverName?: string };

export interface Context {
  name: string;
  /** host:port of the controller's gRPC API. */
  controller: string;
  credentials: Credentials;
}

export interface HvctlConfig {
  currentContext?: string;
  contexts: Context[];
}

export const DEFAULT_CONTROLLER = '127.0.0.1:7443';

export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.HVS_CONFIG) return path.resolve(env.HVS_CONFIG);
  const home = env.HOME || os.homedir();
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(base, 'hvs', 'config.yaml');
}

// `@` for the contexts `hvctl user create` adds (alice@lab, as kubeconfig's user@cluster).
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/;

function invalid(file: string, what: string): never {
  throw cliError('HVS-CLI-CONFIG-INVALID', `the hvctl config file ${file} is invalid: ${what}`,
    `fix the file by hand, or move it away and recreate contexts with \`hvctl config set-context\``);
}

function parseCredentials(file: string, name: string, raw: unknown): Credentials {
  if (raw === undefined || raw === null) return { type: 'insecure' };
  const c = raw as Record<string, unknown>;
  if (c.type === 'insecure') return { type: 'insecure' };
  if (c.type === 'token' && typeof c.tokenFile === 'string') return { type: 'token', tokenFile: c.tokenFile };
  if (c.type === 'tls' && typeof c.caFile === 'string') {
    return {
      type: 'tls', caFile: c.caFile, ...(typeof c.certFile === 'string' ? { certFile: c.certFile } : {}), ...(typeof c.keyFile === 'string' ? { keyFile: c.keyFile } : {}),
      ...(typeof c.tokenFile === 'string' ? { tokenFile: c.tokenFile } : {}),
      ...(typeof c.serverName === 'string' ? { serverName: c.serverName } : {}),
    };
  }
  return invalid(file, `context "${name}": credentials must be {type: insecure}, {type: token, tokenFile} or {type: tls, caFile[, certFile, keyFile]}`);
}

/** Reads the config; a missing file is an empty config. Throws HVS-CLI-CONFIG-INVALID. */
export function readConfig(env: NodeJS.ProcessEnv): HvctlConfig {
  const file = configPath(env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: [] };
    throw cliError('HVS-CLI-CONFIG-UNREADABLE', `cannot read the hvctl config file ${file}`, 'check its permissions (it should be yours, mode 0600)', (e as Error).message);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    return invalid(file, `not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (doc === null || doc === undefined) return { contexts: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) return invalid(file, 'not a mapping');
  const d = doc as Record<string, unknown>;
  const rawContexts = d.contexts ?? [];
  if (!Array.isArray(rawContexts)) return invalid(file, '`contexts` must be a list');
  const contexts = rawContexts.map((c, i): Context => {
    const o = (c ?? {}) as Record<string, unknown>;
    if (typeof o.name !== 'string' || !NAME.test(o.name)) return invalid(file, `contexts[${i}].name is missing or not a simple name`);
    if (typeof o.controller !== 'string' || !ADDRESS.test(o.controller)) return invalid(file, `context "${o.name}": controller must be host:port`);
    return { name: o.name, controller: o.controller, credentials: parseCredentials(file, o.name, o.credentials) };
  });
  const current = d['current-context'];
  return { contexts, ...(typeof current === 'string' && current !== '' ? { currentContext: current } : {}) };
}

/** Writes atomically with mode 0600 (the directory 0700). */
export function writeConfig(env: NodeJS.ProcessEnv, config: HvctlConfig): string {
  const file = configPath(env);
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const doc = {
    apiVersion: 'hvs/v1',
    kind: 'Config',
    'current-context': config.currentContext ?? '',
    contexts: config.contexts.map((c) => ({ name: c.name, controller: c.controller, credentials: c.credentials })),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, stringify(doc), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}

export function validateContextInput(name: string, controller: string): void {
  if (!NAME.test(name)) throw cliError('HVS-CLI-CONTEXT-NAME-INVALID', `context name "${name}" is invalid`, 'use 1-63 letters, digits, ".", "_", "@" or "-"', undefined, 'InvalidArgument');
  if (!ADDRESS.test(controller)) throw cliError('HVS-CLI-CONTROLLER-ADDRESS-INVALID', `controller address "${controller}" is invalid`, 'write it as host:port, e.g. 127.0.0.1:7443', undefined, 'InvalidArgument');
}

/** Adds or replaces a context; returns the new config (pure). */
export function upsertContext(config: HvctlConfig, ctx: Context, makeCurrent: boolean): HvctlConfig {
  const contexts = config.contexts.filter((c) => c.name !== ctx.name);
  contexts.push(ctx);
  contexts.sort((a, b) => a.name.localeCompare(b.name));
  return { contexts, currentContext: makeCurrent ? ctx.name : config.currentContext };
}

/**
 * The context to use: --context, else HVS_CONTEXT, else current-context, else the built-in
 * default (local controller, insecure). An explicit name that does not exist is an error.
 */
export function resolveContext(config: HvctlConfig, env: NodeJS.ProcessEnv, flag?: string): Context {
  const wanted = flag ?? (env.HVS_CONTEXT || undefined) ?? config.currentContext;
  if (wanted === undefined) return { name: '(default)', controller: DEFAULT_CONTROLLER, credentials: { type: 'insecure' } };
  const found = config.contexts.find((c) => c.name === wanted);
  if (found) return found;
  const known = config.contexts.map((c) => c.name);
  throw cliError('HVS-CLI-CONTEXT-NOT-FOUND', `context "${wanted}" does not exist in ${configPath(env)}`,
    known.length > 0 ? `use one of: ${known.join(', ')} (hvctl config get-contexts), or add it with \`hvctl config set-context ${wanted} --controller HOST:PORT\``
      : `add it with \`hvctl config set-context ${wanted} --controller HOST:PORT\`, or run \`hvctl up\` (it writes the context "local")`,
    flag !== undefined ? 'it was named by --context' : env.HVS_CONTEXT ? 'it was named by HVS_CONTEXT' : 'it is the current-context', 'NotFound');
}
