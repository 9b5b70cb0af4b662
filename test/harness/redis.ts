/**
 * Starts `redis-server` on a free loopback port, no persistence. Guarantees: resolves only once
 * PING answers PONG (or throws with redis's output); `stop` kills by PID and waits for the exit.
 */
import * as net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { requireBinary } from './binaries';
import { captureOutput, freePort, spawnTracked, stopProcess, untilHealthyOrExit } from './processes';

export interface RedisInstance {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  host: string;
  port: number;
  readonly pid: number;
  stop(): Promise<void>;
  kill9(): Promise<void>;
  /** Starts again on the same port (data is not kept: persistence is off). */
  restart(): Promise<void>;
}

export async function startRedis(options: { startTimeoutMs?: number } = {}): Promise<RedisInstance> {
  const bin = requireBinary('redis-server', 'redis-server');
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let lastFailure: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      let child = await launch(bin, port, timeoutMs);
      return {
        url: `redis://127.0.0.1:${port}`,
        host: '127.0.0.1',
        port,
        get pid() {
          return child.pid ?? -1;
        },
        stop: () => stopProcess(child, 'SIGTERM'),
        kill9: () => stopProcess(child, 'SIGKILL'),
        async restart() {
          await stopProcess(child, 'SIGTERM');
          child = await launch(bin, port, timeoutMs);
        },
      };
    } catch (e) {
      lastFailure = e as Error;
      if (!/Address already in use/i.test(lastFailure.message)) break;
    }
  }
  throw lastFailure ?? new Error('redis-server did not start');
}

async function launch(bin: string, port: number, timeoutMs: number): Promise<ChildProcess> {
  const child = spawnTracked(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const output = captureOutput(child);
  try {
    await untilHealthyOrExit(child, () => redisPing(port), `redis PING on 127.0.0.1:${port}`, timeoutMs);
  } catch (e) {
    await stopProcess(child, 'SIGKILL');
    throw new Error(`redis-server did not become healthy on port ${port}: ${(e as Error).message}\n${output()}`);
  }
  return child;
}

/** One RESP PING over a fresh socket with a 1 s deadline; true on +PONG. */
export function redisPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
