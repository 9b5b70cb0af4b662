/**
 * A CliIo for tests: captured stdout/stderr, a chosen environment and TTY-ness, and a clock
 * that `sleep` advances at once (waits run without real time passing).
 */
import { Readable } from 'node:stream';
import { readBounded, type CliIo } from '../src/io';

export interface FakeIo extends CliIo {
  stdout(): string;
  stderr(): string;
  stdinText: string;
}

export function fakeIo(opts: { env?: NodeJS.ProcessEnv; tty?: boolean; now?: number; stdin?: string } = {}): FakeIo {
  let out = '';
  let err = '';
  let now = opts.now ?? Date.parse('2026-01-01T12:00:00Z');
  const io: FakeIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: opts.env ?? {},
    stdoutTty: opts.tty === true,
    stderrTty: opts.tty === true,
    stdinText: opts.stdin ?? '',
    readStdin: (maxBytes) => readBounded(Readable.from([Buffer.from(io.stdinText)]), maxBytes, 'standard input'),
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return new Promise((r) => setImmediate(r));
    },
    stdout: () => out,
    stderr: () => err,
  };
  return io;
}
