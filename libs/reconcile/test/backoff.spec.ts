import { ExponentialBackoff } from '../src/backoff';

describe('ExponentialBackoff', () => {
  it('defaults: 100 ms, doubling, capped at 60 s', () => {
    const b = new ExponentialBackoff<string>();
    const delays = Array.from({ length: 12 }, () => b.next('k'));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    expect(b.failuresOf('k')).toBe(12);
  });

  it('counts per key and forget starts a key over', () => {
    const b = new ExponentialBackoff<string>({ baseMs: 5, factor: 3, maxMs: 100 });
    expect([b.next('a'), b.next('a'), b.next('b'), b.next('a'), b.next('a')]).toEqual([5, 15, 5, 45, 100]);
    b.forget('a');
    expect(b.next('a')).toBe(5);
    expect(b.failuresOf('b')).toBe(1);
  });

  it('stays capped after very many failures (no overflow to NaN)', () => {
    const b = new ExponentialBackoff<string>({ baseMs: 1, maxMs: 10 });
    let last = 0;
    for (let i = 0; i < 5000; i++) last = b.next('k');
    expect(last).toBe(10);
  });

  it('rejects nonsense options', () => {
    expect(() => new ExponentialBackoff({ factor: 0.5 })).toThrow(RangeError);
    expect(() => new ExponentialBackoff({ baseMs: 10, maxMs: 5 })).toThrow(RangeError);
    expect(() => new ExponentialBackoff({ baseMs: -1 })).toThrow(RangeError);
  });
});
