import { Worker } from 'node:worker_threads';
import type { DigestAlgorithm } from './digest';

/**
 * Hashes a byte stream on a worker thread: the event loop reads the socket and writes the part
 * file while another core hashes (as `curl | sha256sum` splits the work over two processes), and
 * a multi-GB image never blocks the agent's loop for the seconds its SHA-256 takes. Chunks are
 * copied into a 1 MiB batch (the caller's buffer is still being written to disk) and each full
 * batch is transferred: one message per MiB instead of one per socket read (~64 KiB).
 * Bytes are hashed in the order update() was called (one message port, in order).
 */
const BATCH = 1 << 20;
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const h = require('node:crypto').createHash(workerData);
parentPort.on('message', (m) => (m === 'end' ? parentPort.postMessage(h.digest('hex')) : h.update(m)));
`;

export class StreamHasher {
  private readonly worker: Worker;
  private readonly result: Promise<string>;
  private ended = false;
  private batch = new Uint8Array(BATCH);
  private filled = 0;

  constructor(algorithm: DigestAlgorithm) {
    this.worker = new Worker(WORKER, { eval: true, workerData: algorithm });
    this.result = new Promise((resolve, reject) => {
      this.worker.once('message', (hex: string) => resolve(hex));
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`hash worker exited (${code}) before the digest`)));
    });
    this.result.catch(() => undefined);
  }

  update(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, BATCH - this.filled);
      this.batch.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === BATCH) this.flush();
    }
  }

  private flush(): void {
    if (this.filled === 0) return;
    const full = this.filled === BATCH ? this.batch : this.batch.slice(0, this.filled);
    this.worker.postMessage(full, [full.buffer]);
    this.batch = new Uint8Array(BATCH);
    this.filled = 0;
  }

  /** The hex digest of everything updated; ends the worker. Call once. */
  async digestHex(): Promise<string> {
    this.ended = true;
    this.flush();
    this.worker.postMessage('end');
    try {
      return await this.result;
    } finally {
      void this.worker.terminate();
    }
  }

  /** Stops the worker without a digest (a failed attempt). */
  dispose(): void {
    if (!this.ended) void this.worker.terminate();
    this.ended = true;
  }
}
