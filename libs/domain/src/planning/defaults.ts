/**
 * Brings a document to the form it means, so that writing a default out and leaving it
 * out plan the same ("no change"). Two layers:
 *  1. the kind's zod schema (its `.default()`s, e.g. runState: Running), when the document
 *     parses; a document that does not parse is planned as written (validation reports it);
 *  2. the defaults the rest of the system applies when a field is absent (documented in
 *     docs/architecture/planning.md and in the XML renderer), which the schemas keep
 *     optional so that stored documents stay as the user wrote them.
 * Never mutates its input.
 */
import { isKindName, KINDS } from '../kinds/registry';
import { isPlainObject } from './diff';
import type { PlanResource } from './types';

type Obj = Record<string, unknown>;

/** Sets `key` to `value` when absent; returns a shallow copy. */
function withDefaults(o: unknown, defaults: Obj): Obj {
  const base: Obj = isPlainObject(o) ? { ...o } : {};
  for (const [k, v] of Object.entries(defaults)) if (base[k] === undefined) base[k] = v;
  return base;
}

function mapList(v: unknown, f: (item: unknown) => unknown): unknown {
  return Array.isArray(v) ? v.map(f) : v;
}

function vmSpecDefaults(spec: Obj): Obj {
  const s = { ...spec };
  s.cpu = withDefaults(s.cpu, { sockets: 1, threads: 1, model: 'host-passthrough' });
  s.firmware = withDefaults(s.firmware, { type: 'bios', secureBoot: false, tpm: false });
  s.disks = mapList(s.disks, (d) => withDefaults(d, { pool: 'default', format: 'qcow2', bus: 'virtio' }));
  if (isPlainObject(s.cdrom)) s.cdrom = withDefaults(s.cdrom, { pool: 'default', bus: 'sata' });
  if (isPlainObject(s.boot)) s.boot = withDefaults(s.boot, { pool: 'default' });
  s.networks = mapList(s.networks, (n) => withDefaults(n, { model: 'virtio' }));
  const placement = withDefaults(s.placement, { strategy: 'spread' });
  placement.antiAffinity = mapList(placement.antiAffinity, (a) => withDefaults(a, { required: true }));
  if (placement.antiAffinity === undefined) delete placement.antiAffinity;
  s.placement = placement;
  s.runState ??= 'Running';
  return s;
}

const SPEC_DEFAULTS: Partial<Record<string, (spec: Obj) => Obj>> = {
  VirtualMachine: vmSpecDefaults,
  Node: (s) => ({ ...withDefaults(s, { cordoned: false, maintenance: false }), overcommit: withDefaults(s.overcommit, { cpu: 4, memory: 1 }) }),
  Image: (s) => withDefaults(s, { allowUnverified: false }),
  StoragePool: (s) => withDefaults(s, { shared: false }),
  Snapshot: (s) => withDefaults(s, { memory: false }),
  Migration: (s) => withDefaults(s, { mode: 'live', maxDowntime: '300ms' }),
};

/** The document with schema and system defaults filled in (a new object). */
export function withSpecDefaults(r: PlanResource): PlanResource {
  let doc: PlanResource = r;
  if (isKindName(r.kind)) {
    const parsed = KINDS[r.kind].schema.safeParse(r);
    if (parsed.success) doc = parsed.data as PlanResource;
  }
  const fill = SPEC_DEFAULTS[doc.kind];
  if (fill === undefined || !isPlainObject(doc.spec)) return doc;
  return { ...doc, spec: fill(doc.spec) };
}
