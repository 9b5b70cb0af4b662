/**
 * Format predicates for every value a person types into a manifest. Pure, total (never
 * throw, whatever the input), and shared by the zod schemas (kinds/*) and the validators.
 */

/** A DNS label (RFC 1123): the only shape a name may have, wherever a name enters. */
export const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const NAME_MAX = 63;

export function isName(v: unknown): v is string {
  return typeof v === 'string' && v.length <= NAME_MAX && NAME_RE.test(v);
}

/** A best-effort name built from arbitrary text, for "fix: use e.g. ..." hints. */
export function suggestName(v: string): string {
  const s = v
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, NAME_MAX)
    .replace(/-+$/, '');
  return s === '' ? 'my-name' : s;
}

/** Unicast MAC, colon-separated hex octets (`52:54:00:12:34:56`); not all-zero. */
const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
export function isMac(v: unknown): v is string {
  if (typeof v !== 'string' || !MAC_RE.test(v)) return false;
  const first = parseInt(v.slice(0, 2), 16);
  return (first & 1) === 0 && v.replace(/[:0]/g, '') !== '';
}

/** PCI address `domain:bus:slot.function`, lowercase hex, as libvirt and sysfs print it. */
export const PCI_ADDRESS_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
export function isPciAddress(v: unknown): v is string {
  return typeof v === 'string' && PCI_ADDRESS_RE.test(v);
}

/** PCI vendor:device id, e.g. `10de:2204`. */
export function isVendorDevice(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{4}:[0-9a-f]{4}$/.test(v);
}

export function isSha256(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v);
}

export function isSha512(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-fA-F]{128}$/.test(v);
}

/** Parsed IPv4 as 4 octets, or undefined. Leading zeros are refused (ambiguous octal). */
export function parseIPv4(v: string): number[] | undefined {
  const parts = v.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** Parsed IPv6 as 8 16-bit groups, or undefined. Accepts `::` and a trailing dotted IPv4. */
export function parseIPv6(v: string): number[] | undefined {
  if (v.length > 45 || !/^[0-9a-fA-F:.]+$/.test(v)) return undefined;
  let tail: number[] = [];
  let head = v;
  const lastColon = v.lastIndexOf(':');
  if (v.includes('.')) {
    const v4 = parseIPv4(v.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    head = v.slice(0, lastColon + 1);
    // Keep a trailing '::' (it stands for zero groups); drop a lone separator ':'.
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string): number[] | undefined => {
    if (s === '') return [];
    const gs = s.split(':');
    const out: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = group(halves[0]!);
  if (!left) return undefined;
  if (halves.length === 1) {
    const all = [...left, ...tail];
    return all.length === 8 ? all : undefined;
  }
  const right = group(halves[1]!);
  if (!right) return undefined;
  const fill = 8 - left.length - right.length - tail.length;
  if (fill < 1) return undefined;
  return [...left, ...new Array<number>(fill).fill(0), ...right, ...tail];
}

export function isIp(v: unknown): v is string {
  return typeof v === 'string' && (parseIPv4(v) !== undefined || parseIPv6(v) !== undefined);
}

export interface ParsedCidr {
  family: 4 | 6;
  /** Address as bits, most significant first (32 or 128 entries). */
  bits: number[];
  prefix: number;
}

function toBits(groups: number[], width: number): number[] {
  const bits: number[] = [];
  for (const g of groups) for (let i = width - 1; i >= 0; i--) bits.push((g >> i) & 1);
  return bits;
}

export function parseIp(v: string): { family: 4 | 6; bits: number[] } | undefined {
  const v4 = parseIPv4(v);
  if (v4) return { family: 4, bits: toBits(v4, 8) };
  const v6 = parseIPv6(v);
  if (v6) return { family: 6, bits: toBits(v6, 16) };
  return undefined;
}

/** `addr/prefix`; host bits must be zero (`10.0.0.0/24`, not `10.0.0.1/24`). */
export function parseCidr(v: unknown): ParsedCidr | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/.exec(v);
  if (!m) return undefined;
  const ip = parseIp(m[1]!);
  if (!ip) return undefined;
  const prefix = Number(m[2]);
  if (prefix > ip.bits.length) return undefined;
  if (ip.bits.slice(prefix).some((b) => b !== 0)) return undefined;
  return { family: ip.family, bits: ip.bits, prefix };
}

export function isCidr(v: unknown): v is string {
  return parseCidr(v) !== undefined;
}

/** The network address of `addr/prefix` with host bits cleared, for fix hints. */
export function cidrNetworkHint(v: string): string | undefined {
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(v);
  if (!m) return undefined;
  const v4 = parseIPv4(m[1]!);
  const prefix = Number(m[2]);
  if (!v4 || prefix > 32) return undefined;
  const n = ((v4[0]! << 24) | (v4[1]! << 16) | (v4[2]! << 8) | v4[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${prefix}`;
}

/** True when `ip` lies inside `cidr` (same family). */
export function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const a = parseIp(ip);
  if (!c || !a || c.family !== a.family) return false;
  for (let i = 0; i < c.prefix; i++) if (c.bits[i] !== a.bits[i]) return false;
  return true;
}

/** A port 1-65535 as a number, or a string `'443'` / `'8000-8080'` (low <= high). */
export function isPortSpec(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1 && v <= 65535;
  if (typeof v !== 'string') return false;
  const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(v);
  if (!m) return false;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo >= 1 && hi <= 65535 && lo <= hi;
}

/** cpuset syntax `0-3,6,8-9`: ascending-or-not list of ids/ranges, each id < 4096. */
export function parseCpuset(v: unknown): number[] | undefined {
  if (typeof v !== 'string' || v.length > 512) return undefined;
  if (!/^[0-9]{1,4}(-[0-9]{1,4})?(,[0-9]{1,4}(-[0-9]{1,4})?)*$/.test(v)) return undefined;
  const ids = new Set<number>();
  for (const part of v.split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    const hi = b ?? a;
    if (a > hi || hi >= 4096) return undefined;
    for (let i = a; i <= hi; i++) ids.add(i);
  }
  return [...ids].sort((x, y) => x - y);
}

export function isCpuset(v: unknown): v is string {
  return parseCpuset(v) !== undefined;
}

/** Why a path is refused, or undefined when it is fine. */
export type PathFault = 'nul' | 'control' | 'absolute' | 'dotdot' | 'empty-segment' | 'empty' | 'too-long';

function commonPathFault(v: string): PathFault | undefined {
  if (v === '') return 'empty';
  if (v.length > 4096) return 'too-long';
  if (v.includes('\0')) return 'nul';
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u001f\u007f]/.test(v)) return 'control';
  return undefined;
}

/**
 * A path relative to a pool: no leading '/', no '..' or '.' segment, no empty segment, no
 * NUL or control characters, so joining it to the pool root can never leave the pool.
 */
export function relativePathFault(v: string): PathFault | undefined {
  const f = commonPathFault(v);
  if (f) return f;
  if (v.startsWith('/') || v.startsWith('\\') || /^[A-Za-z]:/.test(v)) return 'absolute';
  const segs = v.split(/[/\\]/);
  if (segs.some((s) => s === '..')) return 'dotdot';
  if (segs.some((s) => s === '' || s === '.')) return 'empty-segment';
  return undefined;
}

/** An absolute host path (pool roots, backup targets): starts with '/', no '..', no NUL. */
export function absolutePathFault(v: string): PathFault | undefined {
  const f = commonPathFault(v);
  if (f) return f;
  if (!v.startsWith('/')) return 'absolute';
  const segs = v.slice(1).split('/');
  if (segs.some((s) => s === '..')) return 'dotdot';
  if (v !== '/' && segs.slice(0, -1).some((s) => s === '' || s === '.')) return 'empty-segment';
  return undefined;
}

/** Linux interface names: at most 15 bytes, no '/', whitespace or ':'. */
export function isInterfaceName(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9_.-]{1,15}$/.test(v) && v !== '.' && v !== '..';
}

/** http(s) URL without credentials (a password in a manifest would end up in logs). */
export function urlFault(v: unknown): 'invalid' | 'scheme' | 'credentials' | undefined {
  if (typeof v !== 'string' || v.length > 2048) return 'invalid';
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'invalid';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'scheme';
  if (u.username !== '' || u.password !== '') return 'credentials';
  return undefined;
}

/** Levenshtein distance, bounded inputs (keys and kind names). */
export function editDistance(a: string, b: string): number {
  if (a.length > 256 || b.length > 256) return Math.max(a.length, b.length);
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a small distance (case-insensitive), or undefined. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const lower = input.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(2, Math.floor(input.length / 3));
  return best !== undefined && bestD <= limit ? best : undefined;
}
