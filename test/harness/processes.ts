/**
 * Process bookkeeping shared by every service the harness starts. Guarantees: a child
 * started through `spawnTracked` is SIGKILLed when the test process exits, even when a
 * test failed before its afterAll ran; `stopProcess` kills by PID and waits for the exit.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as net from 'node:net';

const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of live) {
    try {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Sends `signal` to the PID and resolves once the process has exited (SIGKILL after `graceMs`). */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const escalate = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      if (isRunning(child)) child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([exited, escalate]);
  clearTimeout(timer);
  if (isRunning(child)) await exited;
}

/** A loopback port nobody listens on right now (the OS picks it; a later bind may still race). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface WaitOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns a value other than undefined/false, or throws after the
 * deadline with the last probe error. This is how tests await conditions (never fixed sleeps).
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const interval = options.intervalMs ?? 50;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`timed out after ${options.timeoutMs ?? 10_000} ms waiting for ${options.what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Collects a child's output (bounded) so a failed start can say why. */
export function captureOutput(child: ChildProcess, limit = 16_384): () => string {
  let text = '';
  const add = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-limit);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

/** Waits for `healthy()` with a deadline, failing at once if the process exits first. */
export async function untilHealthyOrExit(child: ChildProcess, healthy: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  let onExit: (() => void) | undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = () => reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) before it was healthy`));
    if (!isRunning(child)) onExit();
    else child.once('exit', onExit);
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([waitFor(async () => (await healthy()) || undefined, { what, timeoutMs }), exited]);
  } finally {
    if (onExit) child.off('exit', onExit);
  }
}
