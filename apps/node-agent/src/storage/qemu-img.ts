import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { HvsError } from '@hvs/domain';

/** The image formats the agent accepts; always passed explicitly (never probed from content). */
export type ImageFormat = 'qcow2' | 'raw';

export interface ImageInfo {
  format: string;
  virtualSizeBytes: number;
  actualSizeBytes: number;
  /** Set when the image has a backing file. */
  backingFile?: string;
  backingFormat?: string;
}

export type QemuImgRunner = (args: string[], op: string) => Promise<string>;

/** qemu-img through execFile with an argument array; failures become HVS-VOLUME-QEMU-IMG-FAILED. */
export function qemuImgRunner(binary = 'qemu-img', timeoutMs = 120_000, onCall?: (op: string, ms: number, ok: boolean) => void): QemuImgRunner {
  return (args, op) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      execFile(binary, args, { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
        onCall?.(`qemu-img ${op}`, performance.now() - t0, !err);
        if (!err) {
          resolve(String(stdout));
          return;
        }
        reject(new HvsError({
          code: 'HVS-VOLUME-QEMU-IMG-FAILED',
          category: /No space left/i.test(String(stderr)) ? 'ResourceExhausted' : 'Internal',
          message: `qemu-img ${op} failed`,
          why: String(stderr).trim() || err.message,
          fix: 'Check the pool has free space and the image is readable (`qemu-img check`), then retry.',
          cause: err,
        }));
      });
    });
}

/** `qemu-img info --output=json -U -f <format>`; -U reads images a running guest holds open. */
export async function imageInfo(run: QemuImgRunner, path: string, format: ImageFormat): Promise<ImageInfo> {
  const raw = JSON.parse(await run(['info', '--output=json', '-U', '-f', format, path], 'info')) as Record<string, unknown>;
  return {
    format: String(raw['format']),
    virtualSizeBytes: Number(raw['virtual-size'] ?? 0),
    actualSizeBytes: Number(raw['actual-size'] ?? 0),
    ...(raw['backing-filename'] ? { backingFile: String(raw['full-backing-filename'] ?? raw['backing-filename']) } : {}),
    ...(raw['backing-filename-format'] ? { backingFormat: String(raw['backing-filename-format']) } : {}),
  };
}
