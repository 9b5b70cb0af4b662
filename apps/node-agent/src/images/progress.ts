/** Download progress as Image status shows it (ImageObservation's numbers). */
export interface Progress {
  bytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  etaSeconds: number;
}

/**
 * Turns byte counts into throttled progress reports: at most one per `intervalMs` (default
 * 500 ms: ~2 a second per image), plus the final one (`flush`). The rate is the average over a
 * sliding window of recent samples, so a stall shows as a falling rate rather than the
 * lifetime average; ETA is remaining bytes / rate (0 when unknown). Time comes from `now` (tests
 * inject it).
 */
export class ProgressMeter {
  private samples: { at: number; bytes: number }[] = [];
  private lastReport = -Infinity;
  private bytes = 0;

  constructor(
    private readonly report: (p: Progress) => void,
    private readonly now: () => number,
    private totalBytes = 0,
    private readonly intervalMs = 500,
    private readonly windowMs = 5000,
  ) {}

  /** The byte count restarts at `bytes` (a resumed download starts at the part's size). */
  reset(bytes: number, totalBytes: number): void {
    this.bytes = bytes;
    this.totalBytes = totalBytes;
    this.samples = [{ at: this.now(), bytes }];
  }

  add(n: number): void {
    this.bytes += n;
    const at = this.now();
    if (at - this.lastReport >= this.intervalMs) this.emit(at);
  }

  /** Reports now regardless of the interval (the end of a download). */
  flush(): void {
    this.emit(this.now());
  }

  current(): Progress {
    return this.compute(this.now());
  }

  private emit(at: number): void {
    this.lastReport = at;
    this.report(this.compute(at));
  }

  private compute(at: number): Progress {
    this.samples.push({ at, bytes: this.bytes });
    while (this.samples.length > 2 && at - this.samples[1].at >= this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const seconds = (at - first.at) / 1000;
    const rate = seconds > 0 ? Math.max(0, (this.bytes - first.bytes) / seconds) : 0;
    const remaining = Math.max(0, this.totalBytes - this.bytes);
    return {
      bytes: this.bytes, totalBytes: this.totalBytes, bytesPerSecond: Math.round(rate),
      etaSeconds: rate > 0 && this.totalBytes > 0 ? Math.ceil(remaining / rate) : 0,
    };
  }
}
