/**
 * The controller process: load config, start the app, stop cleanly on SIGTERM/SIGINT.
 * Split from main.ts so tests can drive it with their own environment, stderr and signal
 * source. Guarantees: a bad configuration prints one line per problem
 * (`CODE: what: why; fix: ...`) and exits 1 without a stack trace; SIGTERM closes the
 * HTTP server and every module (onModuleDestroy/onApplicationShutdown) and exits 0, or 1
 * if closing takes longer than the shutdown deadline.
 */
import type { INestApplication } from '@nestjs/common';
import { formatProblem, HvsError, isHvsError } from '@hvs/domain';
import type { Logger } from 'pino';
import { formatListen, loadConfig, type ControllerConfig } from '../config';
import { createLogger } from '../observability';
import { createApp, listeningAddress } from './create-app';

export const SHUTDOWN_DEADLINE_MS = 10_000;

export interface ProcessIo {
  stderr(line: string): void;
  onSignal(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  exit(code: number): void;
}

export const processIo: ProcessIo = {
  stderr: (line) => process.stderr.write(`${line}\n`),
  onSignal: (signal, handler) => process.once(signal, handler),
  exit: (code) => process.exit(code),
};

export interface RunningController {
  app: INestApplication;
  config: ControllerConfig;
  /** Resolves with the exit code once a signal has shut the controller down. */
  stopped: Promise<number>;
}

/** Every problem of an error, one line each; a non-HvsError gives one generic line. */
export function errorLines(e: unknown): string[] {
  if (!isHvsError(e)) return [`HVS-CONTROLLER-START-FAILED: the controller failed to start: ${e instanceof Error ? e.message : String(e)}; fix: see the log above, then retry`];
  return e.problems.length > 0 ? e.problems.map(formatProblem) : [formatProblem(e)];
}

function listenError(e: unknown, config: ControllerConfig): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL' && code !== 'EACCES') return e;
  const addr = formatListen(config.httpListen);
  const why = code === 'EADDRINUSE' ? 'another process already listens there' : code === 'EACCES' ? 'the port needs privileges this process lacks' : 'no local interface has that address';
  return new HvsError({
    code: 'HVS-CONTROLLER-LISTEN-FAILED', category: 'FailedPrecondition',
    message: `cannot listen for HTTP on ${addr}`, why,
    fix: 'stop the other process (`ss -ltnp`) or set HVS_HTTP_LISTEN to a free address, e.g. HVS_HTTP_LISTEN=127.0.0.1:7481',
  });
}

/**
 * Starts the controller. Returns the exit code when it cannot start (the caller exits),
 * or the running controller.
 */
export async function runController(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: ProcessIo = processIo, logger?: Logger): Promise<number | RunningController> {
  let config: ControllerConfig;
  try {
    config = loadConfig(env, argv);
  } catch (e) {
    for (const line of errorLines(e)) io.stderr(line);
    return 1;
  }
  const log = logger ?? createLogger({ level: config.logLevel });
  let app: INestApplication;
  try {
    app = await createApp(config, { logger: log, controlLoops: true });
  } catch (e) {
    const err = listenError(e, config);
    if (!isHvsError(err)) log.error({ err }, 'start failed');
    for (const line of errorLines(err)) io.stderr(line);
    return 1;
  }
  log.info({ config: config.toLog(), http: formatListen(listeningAddress(app)) }, 'controller started');

  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<number>((r) => {
        timer = setTimeout(() => {
          log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed; exiting anyway');
          r(1);
        }, SHUTDOWN_DEADLINE_MS);
        timer.unref();
      });
      const closed = app.close().then(() => 0, (err: unknown) => (log.error({ err }, 'error while shutting down'), 1));
      void Promise.race([closed, deadline]).then((code) => {
        clearTimeout(timer);
        log.info({ code }, 'stopped');
        resolve(code);
      });
    };
    io.onSignal('SIGTERM', () => stop('SIGTERM'));
    io.onSignal('SIGINT', () => stop('SIGINT'));
  });
  return { app, config, stopped };
}
