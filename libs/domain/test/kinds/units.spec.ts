import fc from 'fast-check';
import { formatDuration, formatSize, parseDuration, parseSize, sizeHint, tryParseDuration, tryParseSize } from '../../src/units';
import { isHvsError } from '../../src/errors';

describe('sizes', () => {
  it.each([
    ['4GiB', 4 * 1024 ** 3],
    ['512MiB', 512 * 1024 ** 2],
    ['1TiB', 1024 ** 4],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['4096B', 4096],
    ['0B', 0],
  ])('parseSize(%s)', (s, n) => expect(parseSize(s)).toBe(n));

  it.each(['4G', '4GB', '-1GiB', '1e3GiB', ' 4GiB', '4gib', '1.1KiB', '', '99999999999999999PiB', 'GiB'])('refuses %j', (s) => {
    expect(tryParseSize(s)).toBeUndefined();
    let err: unknown;
    try {
      parseSize(s);
    } catch (e) {
      err = e;
    }
    expect(isHvsError(err) && err.code === 'HVS-SIZE-INVALID' && err.fix.length > 0).toBe(true);
  });

  it('hints the binary unit for a decimal-looking size', () => {
    expect(sizeHint('20G')).toBe('20GiB');
    expect(sizeHint('512mb')).toBe('512MiB');
    expect(sizeHint('8k')).toBe('8KiB');
  });

  it('formatSize round-trips exactly', () => {
    expect(formatSize(1536 * 1024 ** 2)).toBe('1536MiB');
    expect(formatSize(4 * 1024 ** 3)).toBe('4GiB');
    fc.assert(fc.property(fc.maxSafeNat(), (n) => parseSize(formatSize(n)) === n));
  });
});

describe('durations', () => {
  it.each([
    ['300ms', 300],
    ['2s', 2000],
    ['1.5s', 1500],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
  ])('parseDuration(%s)', (s, n) => expect(parseDuration(s)).toBe(n));

  it.each(['', '300', 'ms', '1 s', '-1s', '1.5ms5', 's1'])('refuses %j', (s) => {
    expect(tryParseDuration(s)).toBeUndefined();
    expect(() => parseDuration(s)).toThrow(/HVS-DURATION-INVALID|is not a duration/);
  });

  it('formatDuration round-trips', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (n) => parseDuration(formatDuration(n)) === n));
  });
});
