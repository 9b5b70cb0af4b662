/**
 * Progress for long waits. On a terminal: one spinner line rewritten in place, with the
 * elapsed time. Elsewhere (logs, CI): a plain line only when the message changes, so the
 * output stays readable and bounded.
 */
import type { CliIo } from '../io';
import { formatDuration } from './table';

const FRAMES = ['|', '/', '-', '\\'];

export class Progress {
  private frame = 0;
  private last = '';
  private readonly start: number;
  constructor(private readonly io: CliIo, private readonly enabled = true) {
    this.start = io.now();
  }

  elapsedMs(): number {
    return this.io.now() - this.start;
  }

  update(message: string): void {
    if (!this.enabled) return;
    const elapsed = formatDuration(this.elapsedMs());
    if (this.io.stderrTty) {
      this.frame = (this.frame + 1) % FRAMES.length;
      this.io.err(`\r\u001b[K${FRAMES[this.frame]} ${message} (${elapsed})`);
    } else if (message !== this.last) {
      this.io.err(`${message} (${elapsed})\n`);
    }
    this.last = message;
  }

  /** Clears the spinner line (terminal only). */
  done(): void {
    if (this.enabled && this.io.stderrTty && this.last !== '') this.io.err('\r\u001b[K');
  }
}
