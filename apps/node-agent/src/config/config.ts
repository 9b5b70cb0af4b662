import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { HvsError, type Problem } from '@hvs/domain';

/**
 * The agent's settings: environment variables, overridden by `--flag value` / `--flag=value`.
 * Every bad value is reported at once, each as HVS-AGENT-CONFIG-<FIELD>-INVALID naming the
 * variable and the flag to fix. The table below is also the source of docs/node-agent.md.
 */
export interface ListenAddress {
  host: string;
  port: number;
}

export interface AgentConfig {
  nodeName: string;
  listen: ListenAddress;
  /** What RegisterNode tells the controller to dial (default: the listen address). */
  advertise: string;
  /** Controller gRPC address (host:port) for RegisterNode/Heartbeat; undefined: standalone. `--join` sets it too. */
  controller?: string;
  /** File holding the one-time join token (used on first start only; never the token itself in argv). */
  joinTokenFile?: string;
  /** SHA-256 of the cluster CA when the token does not carry it. */
  caHash?: string;
  /** `auto`, `qemu:///system`, `qemu+unix:///system?socket=...` or `test:///<abs path>`. */
  libvirtUri: string;
  stateDir: string;
  /** undefined: no metrics endpoint. */
  metricsListen?: ListenAddress;
  heartbeatIntervalMs: number;
  /** StoragePool name -> absolute directory. */
  pools: Record<string, string>;
  /** The image cache: `<imagesDir>/sha256/<hex>` (sha512/<hex>), verified (docs/images.md). */
  imagesDir: string;
  /** Image downloads at once; more wait in a queue. */
  imageDownloads: number;
  /** Full re-hash of every cached image this often (0: only at agent start). */
  imageRehashMs: number;
  shutdownTimeoutMs: number;
  workers: number;
  /** What happens to a removed VM's volumes. */
  diskPolicy: 'delete' | 'keep';
  /** How often every key is reconciled again even without events. */
  resyncMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

interface Field {
  /** joinController: `--join`, folded into `controller`. */
  key: keyof AgentConfig | 'joinController';
  env: string;
  flag: string;
  expected: string;
  /** Raw string -> value; return undefined for "invalid". */
  parse: (raw: string) => unknown;
}

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function parseListen(v: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(v.trim());
  if (m === null || Number(m[3]) > 65535) return undefined;
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

export function formatListen(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

const zParse = <T>(schema: z.ZodType<T>) => (raw: string): T | undefined => {
  const r = schema.safeParse(raw);
  return r.success ? r.data : undefined;
};
const intIn = (min: number, max: number) => zParse(z.coerce.number().int().min(min).max(max));

function parsePools(raw: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq);
    const path = part.slice(eq + 1);
    if (eq <= 0 || !LABEL.test(name) || !isAbsolute(path) || Object.hasOwn(out, name)) return undefined;
    out[name] = path;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function parseUri(raw: string): string | undefined {
  if (raw === 'auto') return raw;
  if (/^qemu(\+unix|\+ssh|\+tcp|\+tls)?:\/\/[^\s]*\/(system|session)(\?[^\s]*)?$/.test(raw)) return raw;
  const m = /^test:\/\/(\/[^\s]+)$/.exec(raw);
  if (m && (m[1] === '/default' || isAbsolute(m[1]))) return raw;
  return undefined;
}

export const FIELDS: Field[] = [
  { key: 'nodeName', env: 'HVS_NODE_NAME', flag: '--node-name', expected: 'a DNS label (lower-case letters, digits, -; at most 63)', parse: (s) => (LABEL.test(s) ? s : undefined) },
  { key: 'listen', env: 'HVS_AGENT_LISTEN', flag: '--listen', expected: 'host:port (port 0: any free port)', parse: parseListen },
  { key: 'advertise', env: 'HVS_AGENT_ADVERTISE', flag: '--advertise', expected: 'host:port the controller can dial', parse: (s) => (parseListen(s) && !s.startsWith('0.0.0.0') ? s : undefined) },
  { key: 'controller', env: 'HVS_CONTROLLER', flag: '--controller', expected: 'host:port of the controller gRPC API', parse: (s) => (parseListen(s) ? s : undefined) },
  { key: 'joinController', env: 'HVS_JOIN', flag: '--join', expected: 'host:port of the controller to join (first start; then the controller to talk to)', parse: (s) => (parseListen(s) ? s : undefined) },
  { key: 'joinTokenFile', env: 'HVS_JOIN_TOKEN_FILE', flag: '--token-file', expected: 'an absolute path to a file holding the join token', parse: (s) => (isAbsolute(s) ? s : undefined) },
  { key: 'caHash', env: 'HVS_JOIN_CA_HASH', flag: '--ca-hash', expected: 'the SHA-256 of the cluster CA certificate (64 hex digits, colons allowed)', parse: (s) => (/^(sha256:)?[0-9a-fA-F:]{64,95}$/.test(s) && s.replace(/^sha256:/, '').replace(/:/g, '').length === 64 ? s : undefined) },
  { key: 'libvirtUri', env: 'HVS_LIBVIRT_URI', flag: '--libvirt-uri', expected: 'auto, qemu:///system, or test:///<absolute path to node.xml>', parse: parseUri },
  { key: 'stateDir', env: 'HVS_AGENT_STATE_DIR', flag: '--state-dir', expected: 'an absolute directory path', parse: (s) => (isAbsolute(s) ? s : undefined) },
  { key: 'metricsListen', env: 'HVS_AGENT_METRICS_LISTEN', flag: '--metrics-listen', expected: 'host:port, or "off"', parse: (s) => (s === 'off' ? null : parseListen(s)) },
  { key: 'heartbeatIntervalMs', env: 'HVS_AGENT_HEARTBEAT_MS', flag: '--heartbeat-ms', expected: 'milliseconds between 100 and 60000', parse: intIn(100, 60_000) },
  { key: 'pools', env: 'HVS_AGENT_POOLS', flag: '--pools', expected: 'name=/abs/path[,name2=/abs/path2] with DNS-label names', parse: parsePools },
  { key: 'imagesDir', env: 'HVS_AGENT_IMAGES_DIR', flag: '--images-dir', expected: 'an absolute directory path', parse: (s) => (isAbsolute(s) ? s : undefined) },
  { key: 'imageDownloads', env: 'HVS_AGENT_IMAGE_DOWNLOADS', flag: '--image-downloads', expected: 'a whole number from 1 to 16', parse: intIn(1, 16) },
  { key: 'imageRehashMs', env: 'HVS_AGENT_IMAGE_REHASH_MS', flag: '--image-rehash-ms', expected: 'milliseconds: 0 (only at start) or 60000 to 2592000000 (30 days)', parse: (s) => (s === '0' ? 0 : intIn(60_000, 2_592_000_000)(s)) },
  { key: 'shutdownTimeoutMs', env: 'HVS_AGENT_SHUTDOWN_TIMEOUT_MS', flag: '--shutdown-timeout-ms', expected: 'milliseconds between 0 and 600000', parse: intIn(0, 600_000) },
  { key: 'workers', env: 'HVS_AGENT_WORKERS', flag: '--workers', expected: 'a whole number from 1 to 16', parse: intIn(1, 16) },
  { key: 'diskPolicy', env: 'HVS_AGENT_DISK_POLICY', flag: '--disk-policy', expected: 'delete or keep', parse: zParse(z.enum(['delete', 'keep'])) },
  { key: 'resyncMs', env: 'HVS_AGENT_RESYNC_MS', flag: '--resync-ms', expected: 'milliseconds between 1000 and 3600000', parse: intIn(1000, 3_600_000) },
  { key: 'logLevel', env: 'HVS_LOG_LEVEL', flag: '--log-level', expected: 'fatal, error, warn, info, debug, trace or silent', parse: zParse(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])) },
];

/** `--a b`, `--a=b`. Unknown flags are problems too (a typo must not be ignored silently). */
function parseFlags(argv: string[], problems: Problem[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!FIELDS.some((f) => f.flag === flag)) {
      if (eq < 0 && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) i++; // its value
      problems.push({ code: 'HVS-AGENT-CONFIG-FLAG-UNKNOWN', message: `unknown argument ${JSON.stringify(arg.slice(0, 64))}`, why: 'the agent takes only the flags listed in docs/node-agent.md', fix: `use one of ${FIELDS.map((f) => f.flag).join(', ')}` });
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) {
      problems.push({ code: 'HVS-AGENT-CONFIG-FLAG-VALUE-MISSING', message: `${flag} has no value`, why: 'every flag takes a value', fix: `write ${flag}=<value>` });
      continue;
    }
    out.set(flag, value);
  }
  return out;
}

function codeOf(key: string): string {
  return `HVS-AGENT-CONFIG-${key.replace(/Ms$/, '').replace(/([a-z])([A-Z])/g, '$1-$2').toUpperCase()}-INVALID`;
}

/** Reads the config; throws one HvsError (InvalidArgument) listing every bad value. */
export function loadAgentConfig(env: NodeJS.ProcessEnv, argv: string[] = []): AgentConfig {
  const problems: Problem[] = [];
  const flags = parseFlags(argv, problems);
  const given: Partial<Record<keyof AgentConfig | 'joinController', unknown>> = {};
  for (const f of FIELDS) {
    const fromFlag = flags.get(f.flag);
    const raw = fromFlag ?? env[f.env];
    if (raw === undefined || raw === '') continue;
    const value = f.parse(raw.trim());
    if (value === undefined) {
      problems.push({
        code: codeOf(f.key), path: fromFlag !== undefined ? f.flag : f.env,
        message: `${fromFlag !== undefined ? f.flag : f.env}=${JSON.stringify(raw.slice(0, 120))} is invalid`,
        why: `expected ${f.expected}`, fix: `set ${f.env} (or ${f.flag}) to ${f.expected}, or leave it unset for the default`,
      });
      continue;
    }
    given[f.key] = value;
  }
  let nodeName = given.nodeName as string | undefined;
  if (nodeName === undefined) {
    nodeName = hostname().split('.')[0].toLowerCase();
    if (!LABEL.test(nodeName)) {
      problems.push({
        code: 'HVS-AGENT-CONFIG-NODE-NAME-INVALID', path: 'HVS_NODE_NAME', message: `the host name ${JSON.stringify(nodeName.slice(0, 80))} is not a valid node name`,
        why: 'node names are DNS labels and default to the host name', fix: 'set HVS_NODE_NAME (or --node-name) to a DNS label, e.g. node-1',
      });
    }
  }
  if (problems.length > 0) {
    throw new HvsError({
      code: problems[0].code, category: 'InvalidArgument', path: problems[0].path,
      message: problems.length === 1 ? problems[0].message : `${problems.length} agent settings are invalid (first: ${problems[0].message})`,
      why: problems[0].why, fix: problems[0].fix, problems,
    });
  }
  const stateDir = (given.stateDir as string | undefined) ?? '/var/lib/hvs/agent';
  const listen = (given.listen as ListenAddress | undefined) ?? { host: '127.0.0.1', port: 7450 };
  const metrics = given.metricsListen;
  return {
    nodeName,
    listen,
    advertise: (given.advertise as string | undefined) ?? formatListen(listen),
    ...(given.controller !== undefined || given.joinController !== undefined ? { controller: (given.controller ?? given.joinController) as string } : {}),
    ...(given.joinTokenFile !== undefined ? { joinTokenFile: given.joinTokenFile as string } : {}),
    ...(given.caHash !== undefined ? { caHash: given.caHash as string } : {}),
    libvirtUri: (given.libvirtUri as string | undefined) ?? 'auto',
    stateDir,
    ...(metrics === null ? {} : { metricsListen: (metrics as ListenAddress | undefined) ?? { host: '127.0.0.1', port: 9450 } }),
    heartbeatIntervalMs: (given.heartbeatIntervalMs as number | undefined) ?? 2000,
    pools: (given.pools as Record<string, string> | undefined) ?? { default: join(stateDir, 'pools', 'default') },
    imagesDir: (given.imagesDir as string | undefined) ?? join(stateDir, 'images'),
    imageDownloads: (given.imageDownloads as number | undefined) ?? 2,
    imageRehashMs: (given.imageRehashMs as number | undefined) ?? 24 * 3600_000,
    shutdownTimeoutMs: (given.shutdownTimeoutMs as number | undefined) ?? 30_000,
    // A reconcile mostly waits (qemu-img is a child process, libvirt calls run on libuv's pool), so
    // a burst of Assigns needs more than a few workers to use the host; 8 also leaves room for
    // the resync of every VM without starving new ones.
    workers: (given.workers as number | undefined) ?? 8,
    diskPolicy: (given.diskPolicy as AgentConfig['diskPolicy'] | undefined) ?? 'delete',
    resyncMs: (given.resyncMs as number | undefined) ?? 60_000,
    logLevel: (given.logLevel as AgentConfig['logLevel'] | undefined) ?? 'info',
  };
}
