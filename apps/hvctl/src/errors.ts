/**
 * How hvctl fails: every error is an HvsError (code, what, why, fix) printed on stderr without
 * a stack trace (the stack only with --debug), and the process exits with one of EXIT.
 */
// The deep path loads errors.ts alone: `@hvs/domain` would load every zod schema (start-up, docs/hvctl.md).
import { formatProblem, HvsError, type ErrorCategory, type Problem } from '@hvs/domain/dist/errors';

export const EXIT = {
  ok: 0,
  /** Any failure: bad usage, bad manifest, unreachable controller, rejected call, timeout. */
  error: 1,
  /** `plan`/`diff` only: the plan has changes (terraform's -detailed-exitcode). */
  changes: 2,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success (for plan/diff: no changes)
  1  error: bad usage, invalid manifest, controller unreachable, call rejected, wait timed out
  2  plan/diff only: the plan has changes`;

/** Thrown to end a command with an exit code and nothing more to print. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CliExit';
  }
}

export function cliError(code: string, message: string, fix: string, why?: string, category: ErrorCategory = 'FailedPrecondition'): HvsError {
  return new HvsError({ code, category, message, fix, ...(why !== undefined ? { why } : {}) });
}

export function usageError(message: string, fix: string): HvsError {
  return cliError('HVS-CLI-USAGE', message, fix, undefined, 'InvalidArgument');
}

/** A usage error that names what was unknown and, kubectl-style, what was probably meant. */
export class UnknownNameError extends HvsError {
  constructor(init: { code: string; message: string; why: string; fix: string }, readonly heading: string, readonly suggestions: string[]) {
    super({ ...init, category: 'InvalidArgument' });
  }
}

/** One error as stderr text: one line, or a header and one line per problem. */
export function formatError(e: unknown, debug: boolean): string {
  const err = toHvsError(e);
  const lines: string[] = [];
  const problems = err.problems.length > 0 ? err.problems : [err as Problem];
  if (problems.length <= 1) {
    lines.push(`error: ${formatProblem(problems[0] ?? err)}`);
  } else {
    lines.push(`error: ${err.code}: ${problems.length} problems:`);
    for (const p of problems) lines.push(`  - ${formatProblem(p)}`);
  }
  if (e instanceof UnknownNameError && e.suggestions.length > 0) lines.push('', e.heading, ...e.suggestions.map((s) => `\t${s}`));
  if (debug) {
    const stack = e instanceof Error ? e.stack : undefined;
    if (stack) lines.push(stack);
    const cause = (e as { cause?: unknown })?.cause;
    if (cause instanceof Error && cause.stack) lines.push(`caused by: ${cause.stack}`);
  }
  return `${lines.join('\n')}\n`;
}

export function toHvsError(e: unknown): HvsError {
  if (e instanceof HvsError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new HvsError({
    code: 'HVS-CLI-INTERNAL', category: 'Internal', message: `hvctl failed: ${message}`,
    why: 'an unexpected error occurred in hvctl', fix: 'run again with --debug for the stack trace and report it', cause: e,
  });
}
