/**
 * What every command gets: the IO, the global flags, and lazily the context and the controller
 * client (closed by the CLI when the command ends). Loading this module stays cheap: the
 * client (@grpc/grpc-js, the generated proto code, @hvs/domain's schemas) and the contexts
 * file reader (yaml) are imported only when a command asks for them (docs/hvctl.md, Start-up).
 */
import { tryParseDuration } from '@hvs/domain/dist/units';
import type { ControllerClient } from '../client/controller-client';
import type { Context } from '../config/contexts';
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
  private client?: Promise<ControllerClient>;
  private opened?: ControllerClient;
  constructor(readonly io: CliIo, readonly flags: () => GlobalFlags) {}

  get debug(): boolean {
    return this.flags().debug === true;
  }

  /** Colours for stdout (tables) or stderr (progress, errors). */
  palette(stream: 'out' | 'err' = 'out'): Palette {
    const tty = stream === 'out' ? this.io.stdoutTty : this.io.stderrTty;
    return palette(colourEnabled(this.io, tty, this.flags().color === false));
  }

  /** The context in use (--context, HVS_CONTEXT, current-context), --server applied. Throws HVS-CLI-CONTEXT-*, -CONFIG-*. */
  async context(): Promise<Context> {
    const { readConfig, resolveContext } = await import('../config/contexts.js');
    const f = this.flags();
    const ctx = resolveContext(readConfig(this.io.env), this.io.env, f.context);
    return f.server ? { ...ctx, controller: f.server } : ctx;
  }

  /** --request-timeout in ms; undefined leaves the client's default. */
  requestTimeoutMs(): number | undefined {
    const raw = this.flags().requestTimeout;
    return raw === undefined ? undefined : parseDurationFlag('--request-timeout', raw);
  }

  /** One client per run, made on first use. */
  api(): Promise<ControllerClient> {
    this.client ??= (async () => {
      const context = await this.context();
      const timeoutMs = this.requestTimeoutMs();
      const { ControllerClient } = await import('../client/controller-client.js');
      this.opened = new ControllerClient(context, timeoutMs);
      return this.opened;
    })();
    return this.client;
  }

  close(): void {
    this.opened?.close();
    this.opened = undefined;
    this.client = undefined;
  }
}

/** `5m`, `30s`, `1m30s`, `500ms`, or bare seconds. */
export function parseDurationFlag(flag: string, raw: string): number {
  const v = /^[0-9]+$/.test(raw.trim()) ? Number(raw) * 1000 : tryParseDuration(raw.trim());
  if (v === undefined || v <= 0) throw usageError(`${flag} "${raw}" is not a duration`, `write it like 30s, 5m or 1m30s`);
  return v;
}

/** `-o FORMAT` of a command that has only JSON besides its table: true for json, false when absent. */
export function jsonOutput(output: string | undefined): boolean {
  if (output !== undefined && output !== 'json') throw usageError(`-o ${output} is not supported here`, 'use -o json');
  return output === 'json';
}

/**
 * The id of a join or API token (16 hex digits), never the token itself: the argument is not
 * echoed, since a pasted whole token would be a secret.
 */
export function tokenIdArg(raw: string, listCommand: string): string {
  const id = raw.trim();
  if (!/^[0-9a-f]{16}$/.test(id)) throw usageError('the argument is not a token id (16 hex digits)', `give the ID column of \`${listCommand}\`, not the token itself`);
  return id;
}
