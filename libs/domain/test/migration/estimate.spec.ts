import fc from 'fast-check';
import { ASSUMED_BANDWIDTH_BPS, ASSUMED_DIRTY_RATE_BPS, DEFAULT_MAX_DOWNTIME_MS, estimateMigration, SWITCHOVER_MS } from '../../src/migration';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('estimateMigration', () => {
  it('live, idle guest: converges in a few passes, downtime below maxDowntime, assumptions named', () => {
    const e = estimateMigration({ mode: 'live', memoryBytes: 4 * GiB, running: true });
    expect(e.bandwidthBps).toBe(ASSUMED_BANDWIDTH_BPS);
    expect(e.dirtyRateBps).toBe(ASSUMED_DIRTY_RATE_BPS);
    expect(e.converges).toBe(true);
    expect(e.passes).toBeGreaterThanOrEqual(2);
    expect(e.downtimeMs).toBeLessThanOrEqual(DEFAULT_MAX_DOWNTIME_MS + SWITCHOVER_MS);
    // 4 GiB at 125 MB/s is ~34 s for the first pass alone.
    expect(e.durationMs).toBeGreaterThan(34_000);
    expect(e.notes.join('\n')).toMatch(/bandwidth assumed/);
    expect(e.notes.join('\n')).toMatch(/dirty rate assumed: not measured/);
  });

  it('known figures are not called assumptions', () => {
    const e = estimateMigration({ mode: 'live', memoryBytes: GiB, running: true, dirtyRateBps: 0, bandwidthBps: 1000 * MiB });
    expect(e.notes).toEqual([]);
    expect(e.passes).toBe(1);
    expect(e.downtimeMs).toBe(SWITCHOVER_MS);
  });

  it('a guest dirtying faster than the link: does not converge, downtime is maxDowntime (auto-converge), post-copy suggested', () => {
    const e = estimateMigration({ mode: 'live', memoryBytes: GiB, running: true, dirtyRateBps: 200 * MiB, bandwidthBps: 100 * MiB, maxDowntimeMs: 100 });
    expect(e.converges).toBe(false);
    expect(e.downtimeMs).toBe(100 + SWITCHOVER_MS);
    expect(e.notes.join('\n')).toMatch(/post-copy/);
  });

  it('post-copy: one pass, switch-over downtime only', () => {
    const e = estimateMigration({ mode: 'postcopy', memoryBytes: GiB, running: true, dirtyRateBps: 200 * MiB, bandwidthBps: 100 * MiB });
    expect(e).toMatchObject({ passes: 1, downtimeMs: SWITCHOVER_MS, converges: true });
  });

  it('offline: downtime is the whole move; a stopped VM has none', () => {
    const off = estimateMigration({ mode: 'offline', memoryBytes: GiB, running: true });
    expect(off.downtimeMs).toBe(off.durationMs);
    expect(off.passes).toBe(0);
    const stopped = estimateMigration({ mode: 'offline', memoryBytes: GiB, running: false });
    expect(stopped.downtimeMs).toBe(0);
  });

  it('copied disks add their transfer to the duration, not to the downtime', () => {
    const a = estimateMigration({ mode: 'live', memoryBytes: GiB, running: true, dirtyRateBps: 0, bandwidthBps: 100 * MiB });
    const b = estimateMigration({ mode: 'live', memoryBytes: GiB, running: true, dirtyRateBps: 0, bandwidthBps: 100 * MiB, copiedDiskBytes: 10 * GiB });
    expect(b.durationMs - a.durationMs).toBe(102_400);
    expect(b.downtimeMs).toBe(a.downtimeMs);
  });

  it('property: more memory or a higher dirty rate never makes it faster; downtime never exceeds maxDowntime + switch-over', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 10, max: 2000 }), fc.integer({ min: 1, max: 1000 }),
      (gib, dirtyMiB, bwMiB, maxDowntimeMs) => {
        const base = { mode: 'live' as const, running: true, bandwidthBps: bwMiB * MiB, maxDowntimeMs };
        const e = estimateMigration({ ...base, memoryBytes: gib * GiB, dirtyRateBps: dirtyMiB * MiB });
        const bigger = estimateMigration({ ...base, memoryBytes: (gib + 1) * GiB, dirtyRateBps: dirtyMiB * MiB });
        expect(e.downtimeMs).toBeLessThanOrEqual(maxDowntimeMs + SWITCHOVER_MS + 1);
        expect(bigger.durationMs).toBeGreaterThanOrEqual(e.durationMs);
      },
    ));
  });
});
