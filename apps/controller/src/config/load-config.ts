/**
 * loadConfig: defaults < config file < environment. Every bad value is reported at once,
 * each as HVS-CONFIG-<FIELD>-INVALID naming the variable (or file key) to change; the data
 * directory must exist and be writable. Values that may carry secrets (the Redis URL) are
 * never echoed back.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { HvsError, type Problem } from '@hvs/domain';
import { etcdTlsProblems, type EtcdTlsSettings } from './etcd-tls';
import { FIELDS, formatListen, type FieldInfo, type HttpTlsMode, type ListenAddress, type MetricsAuthMode, type LogLevel } from './fields';
import { httpEdgeProblems } from './http-edge';

/** The validated controller settings. The class is also the Nest injection token. */
export class ControllerConfig {
  readonly etcdEndpoints!: readonly string[];
  /** etcd client TLS (paths; all three for client-certificate auth): config/etcd-tls.ts. */
  readonly etcdCaFile?: string;
  readonly etcdCertFile?: string;
  readonly etcdKeyFile?: string;
  /** etcd's --max-txn-ops: the largest all-or-nothing batch (an apply's objects) the store writes. */
  readonly etcdMaxTxnOps!: number;
  readonly redisUrl!: string;
  readonly grpcListen!: ListenAddress;
  readonly httpListen!: ListenAddress;
  /** auto: TLS unless httpListen is loopback; off is refused beyond loopback (servesTls, docs/controller-config.md). */
  readonly httpTls!: HttpTlsMode;
  /** Whether /metrics needs a bearer token (resources.read); health and readiness never do. */
  readonly metricsAuth!: MetricsAuthMode;
  /** An operator's certificate for the HTTP port (both or neither); unset: the cluster CA's server certificate. */
  readonly httpTlsCertFile?: string;
  readonly httpTlsKeyFile?: string;
  /** Host header names accepted (lower case, no port); unset: loopback, the listen host and the certificate's names. */
  readonly httpAllowedHosts?: readonly string[];
  /** Cross-origin callers allowed (exact origins); unset: same-origin only. */
  readonly httpAllowedOrigins?: readonly string[];
  /** A second, plain-HTTP listener for /healthz, /readyz and /metrics only. */
  readonly healthListen?: ListenAddress;
  readonly dataDir!: string;
  readonly replicaId!: string;
  readonly leaseTtlMs!: number;
  readonly heartbeatIntervalMs!: number;
  /** HA: agents self-fence after this long without the controller; sent in every Assign (docs/ha.md). */
  readonly haFenceAfterMs!: number;
  /** HA: extra wait on top of fenceAfter before a lost node's HA VMs restart elsewhere. */
  readonly haRescheduleMarginMs!: number;
  readonly auditRetentionDays!: number;
  /** How long an event record lives after its last write (etcd lease TTL). */
  readonly eventTtlMs!: number;
  /** Image source.url must start with one of these (unset or empty: any http/https URL). */
  readonly imageUrlPrefixes?: readonly string[];
  /** The largest `hvctl image import` the controller accepts (ImageService/Upload). */
  readonly imageMaxUploadBytes!: number;
  readonly logLevel!: LogLevel;
  /** The file the values came from, if any (for the start-up log line). */
  readonly configFile?: string;

  constructor(values: Omit<ControllerConfig, 'toLog'>) {
    Object.assign(this, values);
    Object.freeze(this);
  }

  /** A copy safe to log: the Redis URL's password is masked. */
  toLog(): Record<string, unknown> {
    const copy: Record<string, unknown> = Object.fromEntries(Object.entries(this));
    return {
      ...copy, redisUrl: maskUrlPassword(this.redisUrl), grpcListen: formatListen(this.grpcListen), httpListen: formatListen(this.httpListen),
      ...(this.healthListen ? { healthListen: formatListen(this.healthListen) } : {}),
    };
  }
}

export function maskUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '***';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULTS: Record<string, unknown> = {
  etcdEndpoints: 'http://127.0.0.1:2379',
  etcdMaxTxnOps: 128,
  redisUrl: 'redis://127.0.0.1:6379',
  grpcListen: '127.0.0.1:7443',
  httpListen: '127.0.0.1:7480',
  httpTls: 'auto',
  metricsAuth: 'none',
  dataDir: '/var/lib/hvs/controller',
  leaseTtlMs: '8s',
  heartbeatIntervalMs: '1s',
  haFenceAfterMs: '15s',
  haRescheduleMarginMs: '5s',
  auditRetentionDays: 90,
  eventTtlMs: '1h',
  imageMaxUploadBytes: '64GiB',
  logLevel: 'info',
};

function configError(code: string, problems: Problem[]): HvsError {
  const first = problems[0];
  return new HvsError({ ...first, code, category: 'InvalidArgument', problems });
}

function fieldProblem(f: FieldInfo, source: string, raw: unknown, extraWhy?: string): Problem {
  const shown = f.secret ? '(value hidden: it may hold a password)' : JSON.stringify(raw);
  return {
    code: `HVS-CONFIG-${f.field}-INVALID`,
    message: `${source} is invalid: ${shown}`,
    why: extraWhy ?? `it must be ${f.expected}`,
    fix: `set ${f.env} (or \`${f.fileKey}\` in the config file) to a valid value, e.g. ${f.env}=${f.example}; see docs/controller-config.md`,
  };
}

/** `--config FILE` / `--config=FILE`; anything else on the command line is refused. */
function configFromArgv(argv: readonly string[]): string | undefined {
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--config' && i + 1 < argv.length) file = argv[++i];
    else if (a.startsWith('--config=')) file = a.slice('--config='.length);
    else {
      throw configError('HVS-CONFIG-ARGS-INVALID', [{
        code: 'HVS-CONFIG-ARGS-INVALID',
        message: `unknown command-line argument ${JSON.stringify(a)}`,
        why: 'the controller takes only `--config FILE`; every setting is an environment variable or a config-file key',
        fix: 'remove the argument, or pass settings as HVS_* variables; see docs/controller-config.md',
      }]);
    }
  }
  return file;
}

function readConfigFile(path: string): Record<string, unknown> {
  const bad = (why: string, fix: string) =>
    configError('HVS-CONFIG-FILE-INVALID', [{ code: 'HVS-CONFIG-FILE-INVALID', path, message: `cannot use config file ${path}`, why, fix }]);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw bad(`it cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path given with --config or HVS_CONFIG and its permissions');
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw bad(`it is not valid YAML: ${(e as Error).message.split('\n')[0]}`, 'fix the YAML syntax at the line named above');
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw bad('its top level is not a mapping of setting: value', 'write one `key: value` per line, e.g. `logLevel: debug`');
  const known = new Map<string, FieldInfo>(FIELDS.map((f) => [f.fileKey, f]));
  const out: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    const f = known.get(k);
    if (f === undefined) unknown.push(k);
    else out[f.key] = v;
  }
  if (unknown.length > 0) {
    throw bad(`it has unknown keys: ${unknown.join(', ')}`, `use only ${FIELDS.map((f) => f.fileKey).join(', ')} (see docs/controller-config.md)`);
  }
  return out;
}

/**
 * Checks that the data directory exists, is a directory and is writable, now rather
 * than at the first write. Throws HVS-CONFIG-DATA-DIR-INVALID.
 */
export function checkDataDir(dir: string): void {
  const f = FIELDS.find((x) => x.key === 'dataDir')!;
  const fail = (why: string, fix: string): never => {
    throw configError(`HVS-CONFIG-${f.field}-INVALID`, [{ code: `HVS-CONFIG-${f.field}-INVALID`, message: `data directory ${dir} (${f.env}) cannot be used`, why, fix }]);
  };
  let st;
  try {
    st = statSync(dir);
  } catch {
    return fail('it does not exist', `create it (mkdir -p ${dir}) or set ${f.env} to an existing directory`);
  }
  if (!st.isDirectory()) fail('it is not a directory', `set ${f.env} to a directory`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    fail('the controller cannot write to it', `give the controller's user write access (chown/chmod ${dir}) or set ${f.env} to a writable directory`);
  }
}

/**
 * Loads and validates the configuration. `file` (a path) wins over `--config` in `argv`,
 * which wins over HVS_CONFIG. Throws one HvsError listing every problem found.
 */
export function loadConfig(env: Env, argv: readonly string[] = [], file?: string): ControllerConfig {
  const configFile = file ?? configFromArgv(argv) ?? (env.HVS_CONFIG || undefined);
  const fromFile = configFile === undefined ? {} : readConfigFile(configFile);
  const values: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const f of FIELDS as readonly FieldInfo[]) {
    const envValue = env[f.env];
    const [raw, source] =
      envValue !== undefined && envValue !== '' ? [envValue, f.env]
      : f.key in fromFile ? [fromFile[f.key], `${configFile}: ${f.fileKey}`]
      : [f.key === 'replicaId' ? `${hostname().split('.')[0].slice(0, 48)}-${process.pid}` : DEFAULTS[f.key], `${f.env} (default)`];
    const parsed = f.schema.safeParse(raw);
    if (parsed.success) values[f.key] = parsed.data;
    else problems.push(fieldProblem(f, source, raw));
  }
  const ttl = values.leaseTtlMs as number | undefined;
  const hb = values.heartbeatIntervalMs as number | undefined;
  if (ttl !== undefined && hb !== undefined && hb * 2 > ttl) {
    const f = FIELDS.find((x) => x.key === 'heartbeatIntervalMs')!;
    problems.push(fieldProblem(f, f.env, `${hb}ms`, `the heartbeat (${hb} ms) must be at most half the lease TTL (${ttl} ms), or one late heartbeat loses the lease`));
  }
  const fence = values.haFenceAfterMs as number | undefined;
  if (ttl !== undefined && fence !== undefined && fence <= ttl) {
    const f = FIELDS.find((x) => x.key === 'haFenceAfterMs')!;
    problems.push(fieldProblem(f, f.env, `${fence}ms`, `fenceAfter (${fence} ms) must be longer than the lease TTL (${ttl} ms): an agent must not fence before the controller can even see its node lost`));
  }
  problems.push(...httpEdgeProblems(values));
  // Checked together only when each etcd value parsed (a bad path is already reported once).
  if (!problems.some((p) => p.code.startsWith('HVS-CONFIG-ETCD-'))) problems.push(...etcdTlsProblems(values as unknown as EtcdTlsSettings));
  if (problems.length > 0) throw configError(problems[0].code, problems);
  checkDataDir(values.dataDir as string);
  return new ControllerConfig({ ...(values as unknown as Omit<ControllerConfig, 'toLog' | 'configFile'>), configFile });
}
