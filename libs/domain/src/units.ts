/**
 * Sizes and durations as people write them in manifests. Sizes use binary (IEC) units only:
 * `20G` or `20GB` is refused with a hint rather than guessed at, because the difference
 * (7%) silently changes disk and memory sizes.
 */
import { HvsError } from './errors';

export const SIZE_UNITS = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, PiB: 1024 ** 5 } as const;
export type SizeUnit = keyof typeof SIZE_UNITS;

const SIZE_RE = /^([0-9]{1,16})(?:\.([0-9]{1,3}))?\s?(B|KiB|MiB|GiB|TiB|PiB)$/;

/** Bytes for `512MiB`, `4GiB`, `1.5GiB`, `1TiB`, `4096B`; undefined when not a valid size. */
export function tryParseSize(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.length > 32) return undefined;
  const m = SIZE_RE.exec(v);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[3] as SizeUnit];
  const frac = m[2] ?? '';
  // Integer arithmetic: whole * unit + frac * unit / 10^len, exact or refused.
  const scaled = Number(m[1]) * unit;
  const fracBytes = frac === '' ? 0 : (Number(frac) * unit) / 10 ** frac.length;
  const bytes = scaled + fracBytes;
  if (!Number.isSafeInteger(bytes) || !Number.isInteger(fracBytes)) return undefined;
  return bytes;
}

/** A hint for a size that did not parse: `20G` -> `20GiB`. */
export function sizeHint(v: string): string {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtTpP])?(?:i?[bB])?\s*$/.exec(v);
  if (!m) return '4GiB';
  const letter = m[2]?.toUpperCase();
  const unit = letter === undefined ? 'B' : letter === 'K' ? 'KiB' : `${letter}iB`;
  return `${m[1]}${unit}`;
}

/** Bytes for a size; throws HvsError HVS-SIZE-INVALID. */
export function parseSize(v: string): number {
  const n = tryParseSize(v);
  if (n === undefined) {
    throw new HvsError({
      code: 'HVS-SIZE-INVALID',
      category: 'InvalidArgument',
      message: `${JSON.stringify(String(v).slice(0, 64))} is not a size`,
      why: 'sizes are a whole or decimal number with a binary unit: B, KiB, MiB, GiB, TiB or PiB',
      fix: `write e.g. "${sizeHint(String(v))}"`,
    });
  }
  return n;
}

/** The exact size in the largest unit that divides it: 1073741824 -> `1GiB`, 1536 MiB -> `1536MiB`. */
export function formatSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`formatSize: ${bytes} is not a whole number of bytes`);
  const units = Object.entries(SIZE_UNITS).reverse() as [SizeUnit, number][];
  for (const [u, n] of units) if (bytes !== 0 && bytes % n === 0) return `${bytes / n}${u}`;
  return `${bytes}B`;
}

/** A rounded human size for display (`1.5GiB`, `731.2MiB`); not for manifests. */
export function formatSizeHuman(bytes: number): string {
  const units = Object.entries(SIZE_UNITS).reverse() as [SizeUnit, number][];
  for (const [u, n] of units) if (Math.abs(bytes) >= n && u !== 'B') return `${Number((bytes / n).toFixed(1))}${u}`;
  return `${bytes}B`;
}

export const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds for `300ms`, `2s`, `1.5s`, `1h30m`; undefined when invalid or not whole ms. */
export function tryParseDuration(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) return undefined;
  const re = /([0-9]{1,12}(?:\.[0-9]{1,3})?)(ms|s|m|h|d)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2] as keyof typeof DURATION_UNITS];
    pos = re.lastIndex;
  }
  if (pos !== v.length) return undefined;
  const rounded = Math.round(total * 1000) / 1000;
  return Number.isSafeInteger(rounded) ? rounded : undefined;
}

/** Milliseconds for a duration; throws HvsError HVS-DURATION-INVALID. */
export function parseDuration(v: string): number {
  const n = tryParseDuration(v);
  if (n === undefined) {
    throw new HvsError({
      code: 'HVS-DURATION-INVALID',
      category: 'InvalidArgument',
      message: `${JSON.stringify(String(v).slice(0, 64))} is not a duration`,
      why: 'durations are numbers with a unit: ms, s, m, h or d, optionally combined (1h30m), in whole milliseconds',
      fix: 'write e.g. "300ms", "2s" or "1h30m"',
    });
  }
  return n;
}

/** `1500` -> `1.5s`, `5400000` -> `1h30m`; parseDuration(formatDuration(n)) === n. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`formatDuration: ${ms} is not a whole number of ms`);
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [u, n] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (rest >= n) {
      out += `${Math.floor(rest / n)}${u}`;
      rest %= n;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}
