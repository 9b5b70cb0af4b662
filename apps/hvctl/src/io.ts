/**
 * Everything hvctl touches of its process (streams, environment, clock, TTY-ness) in one
 * object, so commands run in tests with captured output and a chosen environment.
 */
import * as readline from 'node:readline';
import { cliError } from './errors';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** stdout is a terminal: tables may be coloured, waits show a spinner. */
  stdoutTty: boolean;
  stderrTty: boolean;
  /** Reads all of standard input (for `-f -`), refusing with HVS-CLI-INPUT-TOO-LARGE past `maxBytes` (readBounded). */
  readStdin(maxBytes: number): Promise<string>;
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Asks a yes/no question on the terminal; absent when stdin is not a terminal (nobody to ask). */
  confirm?(question: string): Promise<boolean>;
}

export function processIo(): CliIo {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    env: process.env,
    stdoutTty: process.stdout.isTTY === true,
    stderrTty: process.stderr.isTTY === true,
    readStdin: (maxBytes) => readBounded(process.stdin, maxBytes, 'standard input'),
    now: () => Date.now(),
    ...(process.stdin.isTTY === true ? { confirm: askOnTerminal } : {}),
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      }),
  };
}

/** HVS-CLI-INPUT-TOO-LARGE for `what` (a file name or "standard input"). */
export function inputTooLarge(what: string, maxBytes: number): Error {
  return cliError('HVS-CLI-INPUT-TOO-LARGE', `${what} is larger than ${maxBytes} bytes (${(maxBytes / 1048576).toFixed(0)} MiB), the most hvctl reads for one command`,
    'split the manifests into several smaller applies', 'hvctl holds what it reads in memory, so it stops reading at the limit instead of reading an endless input (a pipe, /dev/zero) until memory runs out', 'InvalidArgument');
}

/**
 * The whole of `stream` as UTF-8, or HVS-CLI-INPUT-TOO-LARGE as soon as more than `maxBytes`
 * arrived: at most maxBytes plus one chunk is ever held, however long the input. The stream
 * is destroyed when refused, so nothing more is read.
 */
export async function readBounded(stream: NodeJS.ReadableStream & { destroy?(): void }, maxBytes: number, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += b.length;
    if (total > maxBytes) {
      stream.destroy?.();
      throw inputTooLarge(what, maxBytes);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Colour only on a terminal, never when NO_COLOR is set to anything non-empty (no-color.org). */
export function colourEnabled(io: Pick<CliIo, 'env'>, tty: boolean, flagNoColor = false): boolean {
  if (flagNoColor) return false;
  const nc = io.env.NO_COLOR;
  if (nc !== undefined && nc !== '') return false;
  return tty;
}

/** `question [y/N] `on stderr; true only for y or yes. */
function askOnTerminal(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(`${question} [y/N] `, (answer) => {
      rl.close();
      resolve(/^(y|yes)$/i.test(answer.trim()));
    });
  });
}
