/**
 * Logs: pino JSON lines (time, level, component, msg, fields). Secret-ish keys are masked
 * at any depth before a line is written (token, password, secret, userData,
 * authorization, cookie, private keys, credentials), so a careless `log.info({ vm })` with
 * cloud-init user data in it cannot leak it. Error objects keep pino's serializer.
 */
import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Nest injection token for the root pino Logger (an interface, so not a class token). */
export const LOGGER = Symbol.for('hvs.Logger');

export const REDACTED = '[redacted]';
const SECRET_KEY = /token|passw(or)?d|secret|userdata|authorization|cookie|private[-_]?key|credential|api[-_]?key/i;
const MAX_DEPTH = 8;

/** A copy of `v` with the values of secret-ish keys replaced by `[redacted]`. */
export function redactSecrets(v: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || v === null || typeof v !== 'object' || v instanceof Error) return v;
  if (Array.isArray(v)) return v.map((x) => redactSecrets(x, depth + 1));
  if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(x, depth + 1);
  return out;
}

export interface LoggerOptions {
  level: string;
  /** The `component` field of every line (children override it: `log.child({ component: 'store' })`). */
  component?: string;
  /** Where lines go; stdout when absent. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { component: opts.component ?? 'controller' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactSecrets(obj) as Record<string, unknown>,
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Nest's own log lines (bootstrap, route mapping) through pino, with the Nest context as component. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: Logger) {}
  private at(context: unknown): Logger {
    return typeof context === 'string' ? this.root.child({ component: `nest:${context}` }) : this.root;
  }
  log(message: unknown, context?: unknown): void {
    this.at(context).debug(String(message));
  }
  error(message: unknown, trace?: unknown, context?: unknown): void {
    this.at(context).error({ trace }, String(message));
  }
  warn(message: unknown, context?: unknown): void {
    this.at(context).warn(String(message));
  }
  debug(message: unknown, context?: unknown): void {
    this.at(context).debug(String(message));
  }
  verbose(message: unknown, context?: unknown): void {
    this.at(context).trace(String(message));
  }
  fatal(message: unknown, context?: unknown): void {
    this.at(context).fatal(String(message));
  }
}
