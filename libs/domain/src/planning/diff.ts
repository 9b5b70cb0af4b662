/**
 * Structural diff of two JSON-like values. Objects are compared key by key; lists whose
 * items all carry a unique string `name` (disks, networks, hostdevs) are matched by that
 * name, so reordering or inserting one item does not report every later item as changed;
 * any other list (dependsOn, pinning, firewall rules) is one value compared whole.
 * An absent value equals an empty object or list: `labels: {}` and no labels are the same.
 */

export type DiffOp = 'add' | 'remove' | 'modify' | 'reorder';

export interface RawChange {
  /** Display path: `spec.disks[name=data].size`. */
  path: string;
  /** The same path with list keys erased, for effect rules: `spec.disks[].size`. */
  shape: string;
  op: DiffOp;
  old?: unknown;
  new?: unknown;
}

/** Decides leaf equality where plain `===`-style comparison is too strict (`2GiB` vs `2048MiB`). */
export type LeafEquality = (shape: string, a: unknown, b: unknown) => boolean | undefined;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    const x = a ?? [];
    const y = b ?? [];
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    return x.every((v, i) => deepEqual(v, y[i]));
  }
  if (isPlainObject(a) || isPlainObject(b)) {
    const x = a ?? {};
    const y = b ?? {};
    if (!isPlainObject(x) || !isPlainObject(y)) return false;
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const k of keys) if (!deepEqual(x[k], y[k])) return false;
    return true;
  }
  return Number.isNaN(a) && Number.isNaN(b);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
function child(path: string, key: string): string {
  const seg = IDENT.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return path === '' ? seg.replace(/^\./, '') : `${path}${seg}`;
}

function namedItems(v: unknown): Map<string, Record<string, unknown>> | undefined {
  if (v === undefined) return new Map();
  if (!Array.isArray(v)) return undefined;
  const m = new Map<string, Record<string, unknown>>();
  for (const item of v) {
    if (!isPlainObject(item) || typeof item.name !== 'string' || m.has(item.name)) return undefined;
    m.set(item.name, item);
  }
  return m;
}

/** Appends every difference between `a` (current) and `b` (desired) under `path` to `out`. */
export function diffValues(a: unknown, b: unknown, path: string, shape: string, out: RawChange[], eq?: LeafEquality): void {
  if (a === b) return;
  if ((isPlainObject(a) || a === undefined) && (isPlainObject(b) || b === undefined)) {
    const x = a ?? {};
    const y = b ?? {};
    const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
    for (const k of keys) diffValues(x[k], y[k], child(path, k), child(shape, k), out, eq);
    return;
  }
  if ((Array.isArray(a) || a === undefined) && (Array.isArray(b) || b === undefined)) {
    diffList(a, b, path, shape, out, eq);
    return;
  }
  const same = eq?.(shape, a, b) ?? deepEqual(a, b);
  if (!same) out.push(leaf(path, shape, a, b));
}

function diffList(a: unknown[] | undefined, b: unknown[] | undefined, path: string, shape: string, out: RawChange[], eq?: LeafEquality): void {
  const x = namedItems(a);
  const y = namedItems(b);
  const keyed = x !== undefined && y !== undefined && (x.size > 0 || y.size > 0);
  if (!keyed) {
    if (!deepEqual(a, b)) out.push(leaf(path, shape, a, b));
    return;
  }
  const itemShape = `${shape}[]`;
  const at = (name: string) => `${path}[name=${name}]`;
  for (const [name, item] of x) if (!y.has(name)) out.push({ path: at(name), shape: itemShape, op: 'remove', old: item });
  for (const [name, item] of y) {
    const before = x.get(name);
    if (before === undefined) out.push({ path: at(name), shape: itemShape, op: 'add', new: item });
    else diffValues(before, item, at(name), itemShape, out, eq);
  }
  const oldOrder = [...x.keys()].filter((n) => y.has(n));
  const newOrder = [...y.keys()].filter((n) => x.has(n));
  if (!deepEqual(oldOrder, newOrder)) out.push({ path, shape, op: 'reorder', old: oldOrder, new: newOrder });
}

function leaf(path: string, shape: string, a: unknown, b: unknown): RawChange {
  const op: DiffOp = a === undefined ? 'add' : b === undefined ? 'remove' : 'modify';
  const c: RawChange = { path, shape, op };
  if (a !== undefined) c.old = a;
  if (b !== undefined) c.new = b;
  return c;
}
