/**
 * What every command gets: the IO, the global flags, and lazily the controller client of
 * the chosen context (closed by the CLI when the command ends).
 */
import { tryParseDuration } from '@hvs/domain';
import { ControllerClient, DEFAULT_REQUEST_TIMEOUT_MS } from '../client/controller-client';
import { readConfig, resolveContext, type Context } from '../config/contexts';
import { usageError } from '../errors';
import { colourEnabled, type CliIo } from '../io';
import { palette, type Palette } from '../printers/colour';

export interface GlobalFlags {
  context?: string;
  server?: string;
  requestTimeout?: string;
  debug?: boolean;
  color?: boolean;
}

export class Runtime {
  private client?: ControllerClient;
  constructor(readonly io: CliIo, readonly flags: () => GlobalFlags) {}

  get debug(): boolean {
    return this.flags().debug === true;
  }

  /** Colours for stdout (tables) or stderr (progress, errors). */
  palette(stream: 'out' | 'err' = 'out'): Palette {
    const tty = stream === 'out' ? this.io.stdoutTty : this.io.stderrTty;
    return palette(colourEnabled(this.io, tty, this.flags().color === false));
  }

  context(): Context {
    const f = this.flags();
    const ctx = resolveContext(readConfig(this.io.env), this.io.env, f.context);
    return f.server ? { ...ctx, controller: f.server } : ctx;
  }

  requestTimeoutMs(): number {
    const raw = this.flags().requestTimeout;
    return raw === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : parseDurationFlag('--request-timeout', raw);
  }

  api(): ControllerClient {
    this.client ??= new ControllerClient(this.context(), this.requestTimeoutMs());
    return this.client;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

/** `5m`, `30s`, `1m30s`, `500ms`, or bare seconds. */
export function parseDurationFlag(flag: string, raw: string): number {
  const v = /^[0-9]+$/.test(raw.trim()) ? Number(raw) * 1000 : tryParseDuration(raw.trim());
  if (v === undefined || v <= 0) throw usageError(`${flag} "${raw}" is not a duration`, `write it like 30s, 5m or 1m30s`);
  return v;
}
