import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { loadConfig, type ControllerConfig } from '../../src/config';
import { createLogger } from '../../src/observability';

/**
 * Where a test that starts no etcd or Redis points the controller: port 1 (tcpmux), which nothing
 * listens on, so such a test never talks to an etcd or Redis a host runs on the default ports.
 */
export const NOWHERE = { HVS_ETCD_ENDPOINTS: 'http://127.0.0.1:1', HVS_REDIS_URL: 'redis://127.0.0.1:1' } as const;

/** A config on free ports with its own data dir, never a default port; `cleanup` removes the dir. */
export function testConfig(env: Record<string, string> = {}): { config: ControllerConfig; cleanup: () => void } {
  const dataDir = mkdtempSync(join(tmpdir(), 'hvs-ctl-'));
  const config = loadConfig({ ...NOWHERE, HVS_DATA_DIR: dataDir, HVS_HTTP_LISTEN: '127.0.0.1:0', HVS_GRPC_LISTEN: '127.0.0.1:0', HVS_LOG_LEVEL: 'info', ...env });
  return { config, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** A logger whose JSON lines the test can read back. */
export function capturedLogger(level = 'debug'): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level, destination: stream });
  return {
    logger,
    lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export function baseUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}
