import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listeningAddress, runController, type ProcessIo, type RunningController } from '../../src/app';
import { baseUrl, capturedLogger, NOWHERE } from './fixtures';

/** Signals from an emitter the test fires, stderr into an array. */
function fakeIo() {
  const signals = new EventEmitter();
  const stderr: string[] = [];
  const io: ProcessIo = { stderr: (l) => stderr.push(l), onSignal: (s, h) => signals.once(s, h), exit: () => {} };
  return { io, signals, stderr };
}

describe('runController', () => {
  let dataDir: string;
  let running: RunningController | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'hvs-run-'));
  });
  afterEach(async () => {
    await running?.app.close();
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a bad config exits 1 with one line per problem: code, what, why, fix; no stack', async () => {
    const { io, stderr } = fakeIo();
    const code = await runController([], { HVS_DATA_DIR: join(dataDir, 'missing'), HVS_LOG_LEVEL: 'chatty' }, io);
    expect(code).toBe(1);
    expect(stderr).toEqual([
      expect.stringMatching(/^HVS-CONFIG-LOG-LEVEL-INVALID: HVS_LOG_LEVEL is invalid: "chatty": it must be one of .*; fix: set HVS_LOG_LEVEL/),
    ]);
    const dirOnly = fakeIo();
    expect(await runController([], { HVS_DATA_DIR: join(dataDir, 'missing') }, dirOnly.io)).toBe(1);
    expect(dirOnly.stderr).toEqual([expect.stringMatching(/^HVS-CONFIG-DATA-DIR-INVALID: data directory .*missing \(HVS_DATA_DIR\) cannot be used: it does not exist; fix: create it \(mkdir -p /)]);
    expect([...stderr, ...dirOnly.stderr].join('\n')).not.toMatch(/\n\s+at /);
  });

  it('starts, serves /healthz, and on SIGTERM closes and resolves exit code 0', async () => {
    const { io, signals } = fakeIo();
    const log = capturedLogger();
    // Free ports only: the test must pass while `npm start` holds the default ones (7443, 7480).
    const env = { ...NOWHERE, HVS_DATA_DIR: dataDir, HVS_GRPC_LISTEN: '127.0.0.1:0', HVS_HTTP_LISTEN: '127.0.0.1:0', HVS_REDIS_URL: 'redis://:pw@127.0.0.1:1' };
    const result = await runController([], env, io, log.logger);
    if (typeof result === 'number') throw new Error(`expected a running controller, got exit code ${result}`);
    running = result;
    const url = baseUrl(listeningAddress(result.app).port);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    signals.emit('SIGTERM');
    await expect(result.stopped).resolves.toBe(0);
    running = undefined;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    const msgs = log.lines().map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(['controller started', 'shutting down', 'stopped']));
    expect(JSON.stringify(log.lines())).not.toContain(':pw@');
  });

  it('a taken HTTP port is one clear error naming HVS_HTTP_LISTEN, exit 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = (blocker.address() as { port: number }).port;
      const { io, stderr } = fakeIo();
      const code = await runController([], { ...NOWHERE, HVS_DATA_DIR: dataDir, HVS_GRPC_LISTEN: '127.0.0.1:0', HVS_HTTP_LISTEN: `127.0.0.1:${port}` }, io, capturedLogger().logger);
      expect(code).toBe(1);
      expect(stderr).toEqual([expect.stringMatching(new RegExp(`^HVS-CONTROLLER-LISTEN-FAILED: cannot listen for HTTP on 127\\.0\\.0\\.1:${port}: another process already listens there; fix: .*HVS_HTTP_LISTEN`))]);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('plain HTTP beyond loopback refuses to start: one HVS-CONFIG-HTTP-TLS-REQUIRED line (what, why, fix), exit 1, nothing listens', async () => {
    const { io, stderr } = fakeIo();
    const code = await runController([], { ...NOWHERE, HVS_DATA_DIR: dataDir, HVS_GRPC_LISTEN: '127.0.0.1:0', HVS_HTTP_LISTEN: '0.0.0.0:0', HVS_HTTP_TLS: 'off' }, io, capturedLogger().logger);
    expect(code).toBe(1);
    expect(stderr).toEqual([expect.stringMatching(/^HVS-CONFIG-HTTP-TLS-REQUIRED: HVS_HTTP_LISTEN 0\.0\.0\.0:0 is not a loopback address and HVS_HTTP_TLS is off: plain HTTP beyond loopback .*; fix: leave HVS_HTTP_TLS unset/)]);
  });
});
