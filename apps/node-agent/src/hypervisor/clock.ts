/**
 * The minimal clock the hypervisor drivers need. Kept local until @hvs/reconcile exports its
 * Clock/FakeClock; any object with these two methods (including that FakeClock) fits.
 */
export interface Clock {
  now(): number;
  /** Resolves after ms of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
