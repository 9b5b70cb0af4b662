import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { loadConfig, type ControllerConfig } from '../../src/config';
import { createLogger } from '../../src/observability';

/** A config on free ports with its own data dir; `cleanup` removes the dir. */
export function testConfig(env: Record<string, string> = {}): { config: ControllerConfig; cleanup: () => void } {
  const dataDir = mkdtempSync(join(tmpdir(), 'hvs-ctl-'));
  const config = loadConfig({ HVS_DATA_DIR: dataDir, HVS_HTTP_LISTEN: '127.0.0.1:0', HVS_GRPC_LISTEN: '127.0.0.1:0', HVS_LOG_LEVEL: 'info', ...env });
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
