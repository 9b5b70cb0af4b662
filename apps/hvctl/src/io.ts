/**
 * Everything hvctl touches of its process (streams, environment, clock, TTY-ness) in one
 * object, so commands run in tests with captured output and a chosen environment.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** stdout is a terminal: tables may be coloured, waits show a spinner. */
  stdoutTty: boolean;
  stderrTty: boolean;
  /** Reads all of standard input (for `-f -`). */
  readStdin(): Promise<string>;
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
    readStdin: () => Promise.resolve(fs.readFileSync(0, 'utf8')),
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
