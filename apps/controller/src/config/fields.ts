/**
 * Every controller setting: its config-file key, environment variable, default, what a
 * valid value looks like, and the zod schema that parses it. This table is the single
 * source for loading, for error messages and for docs/controller-config.md.
 */
import { z } from 'zod';
import { tryParseDuration } from '@hvs/domain';
import { ETCD_TLS_FIELDS } from './etcd-tls-fields';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ListenAddress {
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port`; port 0 means "any free port" (tests). */
export function parseListen(v: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(v.trim());
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2], port };
}

export function formatListen(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Milliseconds from `8s`/`500ms`/`1m`, or a bare number of seconds (`8`, as env vars often are). */
function durationMs(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  if (/^[0-9]+(\.[0-9]+)?$/.test(v.trim())) return Number(v) * 1000;
  return tryParseDuration(v.trim());
}

/** A comma-separated string (env) or a list (file). */
function list(v: unknown): unknown {
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : v;
}

const etcdEndpoint = z.string().transform((s, ctx) => {
  const withScheme = /^[a-z]+:\/\//.test(s) ? s : `http://${s}`;
  try {
    const u = new URL(withScheme);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && u.username === '' && u.pathname === '/') return `${u.protocol}//${u.host}`;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'bad endpoint' });
  return z.NEVER;
});

const redisUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    return false;
  }
});

/** An http(s) URL prefix an Image's source.url must start with (HVS_IMAGE_URL_PREFIXES). */
const urlPrefix = z.string().refine((s) => /^https?:\/\/[^\s/?#@]+(\/[^\s]*)?$/.test(s));

/** Bytes from `64GiB`, `512MiB`, `1024` (bytes). */
const bytes = (min: number, max: number) => z.unknown().transform((v, ctx) => {
  const m = /^([0-9]+)\s*(KiB|MiB|GiB|TiB)?$/.exec(String(v).trim());
  const n = m ? Number(m[1]) * 1024 ** ['', 'KiB', 'MiB', 'GiB', 'TiB'].indexOf(m[2] ?? '') : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    ctx.addIssue({ code: 'custom', message: 'bad size' });
    return z.NEVER;
  }
  return n;
});

const listen = z.string().transform((s, ctx) => parseListen(s) ?? (ctx.addIssue({ code: 'custom', message: 'bad listen' }), z.NEVER));

export const HTTP_TLS_MODES = ['auto', 'on', 'off'] as const;
export type HttpTlsMode = (typeof HTTP_TLS_MODES)[number];
export const METRICS_AUTH_MODES = ['none', 'token'] as const;
export type MetricsAuthMode = (typeof METRICS_AUTH_MODES)[number];

const absolutePath = z.string().refine((s) => s.startsWith('/') && !s.includes('\0'));

/** A host name or IP as the Host header carries it (brackets and case dropped, no port). */
const hostName = z.string().transform((s, ctx) => {
  const h = s.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (/^[a-z0-9]([a-z0-9.-]{0,252})$/.test(h) || (h.includes(':') && /^[0-9a-f:.]+$/.test(h))) return h;
  ctx.addIssue({ code: 'custom', message: 'bad host' });
  return z.NEVER;
});

/** `scheme://host[:port]` exactly as browsers send it in Origin (no path, no `*`, no `null`). */
const webOrigin = z.string().transform((s, ctx) => {
  try {
    const u = new URL(s.trim());
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s.trim().replace(/\/$/, '').toLowerCase()) return u.origin;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'bad origin' });
  return z.NEVER;
});

const ms = (minMs: number, maxMs: number, wholeSeconds = false) =>
  z.unknown().transform((v, ctx) => {
    const n = durationMs(v);
    if (n === undefined || n < minMs || n > maxMs || (wholeSeconds && n % 1000 !== 0)) {
      ctx.addIssue({ code: 'custom', message: 'bad duration' });
      return z.NEVER;
    }
    return n;
  });

export interface FieldInfo {
  /** Property of ControllerConfig. */
  key: string;
  /** Key in the YAML config file. */
  fileKey: string;
  env: string;
  /** The FIELD part of HVS-CONFIG-<FIELD>-INVALID. */
  field: string;
  /** Default as written in docs; undefined: required or computed. */
  defaultText: string;
  /** What a valid value is, used in the "why" of an error. */
  expected: string;
  example: string;
  /** Secret-bearing values (a Redis URL may carry a password) are never echoed. */
  secret?: boolean;
  schema: z.ZodType;
}

export const FIELDS = [
  { key: 'etcdEndpoints', fileKey: 'etcdEndpoints', env: 'HVS_ETCD_ENDPOINTS', field: 'ETCD-ENDPOINTS', defaultText: 'http://127.0.0.1:2379',
    expected: 'a comma-separated list of http(s)://host:port URLs (no path, no credentials)', example: 'http://10.0.0.1:2379,http://10.0.0.2:2379',
    schema: z.preprocess(list, z.array(etcdEndpoint).min(1).max(16)) },
  ...ETCD_TLS_FIELDS,
  { key: 'etcdMaxTxnOps', fileKey: 'etcdMaxTxnOps', env: 'HVS_ETCD_MAX_TXN_OPS', field: 'ETCD-MAX-TXN-OPS', defaultText: '128',
    expected: "a whole number from 16 to 100000, at most etcd's --max-txn-ops (etcd's default is 128)", example: '1024',
    schema: z.coerce.number().int().min(16).max(100_000) },
  { key: 'redisUrl', fileKey: 'redisUrl', env: 'HVS_REDIS_URL', field: 'REDIS-URL', defaultText: 'redis://127.0.0.1:6379',
    expected: 'a redis:// or rediss:// URL with a host', example: 'redis://127.0.0.1:6379/0', secret: true, schema: redisUrl },
  { key: 'grpcListen', fileKey: 'grpcListen', env: 'HVS_GRPC_LISTEN', field: 'GRPC-LISTEN', defaultText: '127.0.0.1:7443',
    expected: 'host:port or [ipv6]:port with a port from 0 to 65535', example: '0.0.0.0:7443', schema: listen },
  { key: 'httpListen', fileKey: 'httpListen', env: 'HVS_HTTP_LISTEN', field: 'HTTP-LISTEN', defaultText: '127.0.0.1:7480',
    expected: 'host:port or [ipv6]:port with a port from 0 to 65535', example: '0.0.0.0:7480', schema: listen },
  { key: 'httpTls', fileKey: 'httpTls', env: 'HVS_HTTP_TLS', field: 'HTTP-TLS', defaultText: 'auto',
    expected: 'auto (TLS when HVS_HTTP_LISTEN is not a loopback address), on (always TLS) or off (plain HTTP, loopback addresses only)', example: 'auto',
    schema: z.enum(HTTP_TLS_MODES) },
  { key: 'metricsAuth', fileKey: 'metricsAuth', env: 'HVS_METRICS_AUTH', field: 'METRICS-AUTH', defaultText: 'none',
    expected: 'none (/metrics answers anyone, like /healthz) or token (/metrics needs Authorization: Bearer with a role that reads, e.g. a viewer token)', example: 'token',
    schema: z.enum(METRICS_AUTH_MODES) },
  { key: 'httpTlsCertFile', fileKey: 'httpTlsCertFile', env: 'HVS_HTTP_TLS_CERT_FILE', field: 'HTTP-TLS-CERT-FILE', defaultText: 'unset',
    expected: 'an absolute path to a PEM certificate (leaf first, then intermediates), set together with HVS_HTTP_TLS_KEY_FILE', example: '/etc/hvs/tls/api.crt',
    schema: absolutePath.optional() },
  { key: 'httpTlsKeyFile', fileKey: 'httpTlsKeyFile', env: 'HVS_HTTP_TLS_KEY_FILE', field: 'HTTP-TLS-KEY-FILE', defaultText: 'unset',
    expected: "an absolute path to the certificate's unencrypted PEM private key, not readable by others, set together with HVS_HTTP_TLS_CERT_FILE", example: '/etc/hvs/tls/api.key',
    schema: absolutePath.optional() },
  { key: 'httpAllowedHosts', fileKey: 'httpAllowedHosts', env: 'HVS_HTTP_ALLOWED_HOSTS', field: 'HTTP-ALLOWED-HOSTS', defaultText: '<loopback, listen host, certificate names>',
    expected: 'a comma-separated list of host names or IP addresses without ports (1-64 of them)', example: 'ctl.example.com,10.0.0.5,localhost',
    schema: z.preprocess(list, z.array(hostName).min(1).max(64)).optional() },
  { key: 'httpAllowedOrigins', fileKey: 'httpAllowedOrigins', env: 'HVS_HTTP_ALLOWED_ORIGINS', field: 'HTTP-ALLOWED-ORIGINS', defaultText: 'none',
    expected: 'a comma-separated list of web origins, scheme://host[:port] with no path (0-64 of them)', example: 'https://console.example.com',
    schema: z.preprocess(list, z.array(webOrigin).max(64)).optional() },
  { key: 'healthListen', fileKey: 'healthListen', env: 'HVS_HEALTH_LISTEN', field: 'HEALTH-LISTEN', defaultText: 'unset',
    expected: 'host:port or [ipv6]:port with a port from 0 to 65535, other than the HTTP address', example: '10.0.0.5:7481', schema: listen.optional() },
  { key: 'dataDir', fileKey: 'dataDir', env: 'HVS_DATA_DIR', field: 'DATA-DIR', defaultText: '/var/lib/hvs/controller',
    expected: 'an absolute path to an existing directory the controller can write', example: '/var/lib/hvs/controller',
    schema: absolutePath },
  { key: 'replicaId', fileKey: 'replicaId', env: 'HVS_REPLICA_ID', field: 'REPLICA-ID', defaultText: '<short hostname>-<pid>',
    expected: '1-63 characters of letters, digits, ".", "_" or "-"', example: 'ctl-a',
    schema: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/) },
  { key: 'leaseTtlMs', fileKey: 'leaseTtl', env: 'HVS_LEASE_TTL', field: 'LEASE-TTL', defaultText: '8s',
    expected: 'a whole number of seconds from 2s to 300s (etcd leases have whole-second TTLs)', example: '8s', schema: ms(2000, 300_000, true) },
  { key: 'heartbeatIntervalMs', fileKey: 'heartbeatInterval', env: 'HVS_HEARTBEAT_INTERVAL', field: 'HEARTBEAT-INTERVAL', defaultText: '1s',
    expected: 'a duration from 100ms to 60s, at most half the lease TTL', example: '1s', schema: ms(100, 60_000) },
  { key: 'haFenceAfterMs', fileKey: 'haFenceAfter', env: 'HVS_HA_FENCE_AFTER', field: 'HA-FENCE-AFTER', defaultText: '15s',
    expected: 'a duration from 2s to 10m, longer than the lease TTL', example: '15s', schema: ms(2_000, 600_000) },
  { key: 'haRescheduleMarginMs', fileKey: 'haRescheduleMargin', env: 'HVS_HA_RESCHEDULE_MARGIN', field: 'HA-RESCHEDULE-MARGIN', defaultText: '5s',
    expected: "a duration from 4s (the agent's fencing budget) to 10m", example: '5s', schema: ms(4_000, 600_000) },
  { key: 'auditRetentionDays', fileKey: 'auditRetentionDays', env: 'HVS_AUDIT_RETENTION_DAYS', field: 'AUDIT-RETENTION-DAYS', defaultText: '90',
    expected: 'a whole number of days from 1 to 3650', example: '90', schema: z.coerce.number().int().min(1).max(3650) },
  { key: 'eventTtlMs', fileKey: 'eventTtl', env: 'HVS_EVENT_TTL', field: 'EVENT-TTL', defaultText: '1h',
    expected: 'a whole number of seconds from 10s to 30 days (events expire through etcd leases)', example: '1h', schema: ms(10_000, 30 * 24 * 3600 * 1000, true) },
  { key: 'imageUrlPrefixes', fileKey: 'imageUrlPrefixes', env: 'HVS_IMAGE_URL_PREFIXES', field: 'IMAGE-URL-PREFIXES', defaultText: 'any http/https URL',
    expected: 'a comma-separated list of http:// or https:// URL prefixes (0-64 of them), e.g. https://cloud.debian.org/', example: 'https://cloud.debian.org/,https://images.example.com/',
    schema: z.preprocess(list, z.array(urlPrefix).max(64)).optional() },
  { key: 'imageMaxUploadBytes', fileKey: 'imageMaxUploadBytes', env: 'HVS_IMAGE_MAX_UPLOAD_BYTES', field: 'IMAGE-MAX-UPLOAD-BYTES', defaultText: '64GiB',
    expected: 'a size from 1MiB to 16TiB: bytes, or a number with KiB, MiB, GiB or TiB', example: '128GiB', schema: bytes(1024 ** 2, 16 * 1024 ** 4) },
  { key: 'logLevel', fileKey: 'logLevel', env: 'HVS_LOG_LEVEL', field: 'LOG-LEVEL', defaultText: 'info',
    expected: `one of ${LOG_LEVELS.join(', ')}`, example: 'debug', schema: z.enum(LOG_LEVELS) },
] as const satisfies readonly FieldInfo[];

export type ConfigKey = (typeof FIELDS)[number]['key'];
