/**
 * Numbers in rejection reasons. Reasons are read by people deciding what to change, so a
 * comparison must never print two equal-looking sides: precision grows until they differ.
 */

const UNITS: [string, number][] = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
];

function bytesIn(bytes: number, decimals: number): string {
  for (const [u, n] of UNITS) if (bytes >= n) return `${trim(bytes / n, decimals)} ${u}`;
  return `${Math.round(bytes)} B`;
}

/** A number with at most `decimals` decimals, trailing zeros dropped (`3.5`, `4`). */
export function trim(n: number, decimals: number): string {
  return String(Number(n.toFixed(decimals)));
}

/** `free` and `requested` as sizes that read differently: [`3.5 GiB`, `4 GiB`]. */
export function formatBytesPair(free: number, requested: number): [string, string] {
  const f = Math.max(0, free);
  for (let d = 1; d <= 3; d++) {
    const a = bytesIn(f, d);
    const b = bytesIn(requested, d);
    if (a !== b) return [a, b];
  }
  return [`${Math.floor(f)} B`, `${requested} B`];
}

/**
 * vCPU counts may be fractional after a fractional overcommit ratio. Rounded down (with a
 * little slack for float noise such as 3 * 1.3 = 3.9000000000000004), so a free count never
 * reads as enough when it is not.
 */
export function formatCpus(n: number): string {
  return String(Math.floor(Math.max(0, n) * 100 + 1e-6) / 100);
}
