/**
 * A token bucket on an injected clock: `burst` requests at once, then one every
 * `1000 / perSecond` ms. Per controller process (a limit on how fast one process mints join
 * tokens, not a cluster-wide quota: the cap on open tokens is the cluster-wide bound).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly burst: number, private readonly perSecond: number, private readonly now: () => number) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token: 0 when taken, else the ms until one is available. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}
