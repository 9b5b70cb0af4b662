import { ProgressMeter, type Progress } from '../../src/images/progress';
import { progressText } from '../../src/images/image-use';

describe('ProgressMeter', () => {
  let now = 0;
  let reports: Progress[];
  let meter: ProgressMeter;
  beforeEach(() => {
    now = 0;
    reports = [];
    meter = new ProgressMeter((p) => reports.push(p), () => now);
    meter.reset(0, 10_000);
  });

  it('reports at most twice a second however many chunks arrive', () => {
    for (let i = 0; i < 100; i++) {
      now = i * 10; // 100 chunks over 1 s
      meter.add(50);
    }
    expect(reports.length).toBe(2);
    expect(reports.map((r) => r.bytes)).toEqual([50, 2550]);
  });

  it('computes rate and ETA from the recent window; flush always reports', () => {
    now = 1000;
    meter.add(2000); // 2000 B in 1 s
    expect(reports.at(-1)).toEqual({ bytes: 2000, totalBytes: 10_000, bytesPerSecond: 2000, etaSeconds: 4 });
    now = 1100;
    meter.add(100);
    expect(reports.length).toBe(1);
    meter.flush();
    expect(reports.length).toBe(2);
    expect(reports.at(-1)!.bytes).toBe(2100);
  });

  it('a resumed download counts from the part size, and a stall lowers the rate', () => {
    meter.reset(4000, 10_000);
    now = 1000;
    meter.add(1000);
    expect(reports.at(-1)).toMatchObject({ bytes: 5000, bytesPerSecond: 1000 });
    now = 20_000; // nothing for 19 s
    meter.add(1);
    expect(reports.at(-1)!.bytesPerSecond).toBeLessThan(100);
  });

  it('an unknown total has no ETA', () => {
    meter.reset(0, 0);
    now = 1000;
    meter.add(500);
    expect(reports.at(-1)).toMatchObject({ totalBytes: 0, etaSeconds: 0 });
  });
});

describe('progressText', () => {
  it('says percent, sizes, rate and ETA while downloading; the message otherwise', () => {
    const MiB = 1024 * 1024;
    expect(progressText({ phase: 'Downloading', bytes: 120 * MiB, totalBytes: 240 * MiB, bytesPerSecond: 12 * MiB, etaSeconds: 10, message: '' }))
      .toBe('downloading 50% (120 of 240 MiB, 12.0 MiB/s, about 10 s left)');
    expect(progressText({ phase: 'Pending', bytes: 0, totalBytes: 0, bytesPerSecond: 0, etaSeconds: 0, message: 'waiting for a download slot' })).toBe('waiting for a download slot');
  });
});
