/**
 * The write rules both stores share, as pure functions: keys, what create/update/updateStatus/
 * delete turn an object into, generation, and which compare guards the write. A store reads the
 * current objects, calls `planWrite` for each op, then commits all plans in one transaction.
 */
import { alreadyExists, conflict, invalidWrite, notFound } from './errors';
import type { StoredObject, WriteOp, WriteOutcome } from './types';

export const KEY_ROOT = '/hvs/v1/';
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/;

/** The key segment of a kind: its name lowercased (`VirtualMachine` -> `virtualmachine`). */
export function kindSegment(kind: string): string {
  if (!KIND.test(kind)) {
    throw invalidWrite(`kind "${kind}" is not a valid kind name`, 'kinds are CamelCase words such as VirtualMachine',
      'use one of the kinds listed by `hvctl api-resources`', 'kind');
  }
  return kind.toLowerCase();
}

/** `/hvs/v1/<kind lowercased>/` : the trailing slash keeps `backup` from matching `backuppolicy`. */
export function kindPrefix(kind: string): string {
  return `${KEY_ROOT}${kindSegment(kind)}/`;
}

export function objectKey(kind: string, name: string): string {
  if (!NAME.test(name)) {
    throw invalidWrite(`name "${name}" is not a valid object name`, 'names are DNS labels: lowercase letters, digits and "-", 1-63 chars',
      'rename it, e.g. "web-1"', 'metadata.name');
  }
  return kindPrefix(kind) + name;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Serialised form: resourceVersion is never stored, it is the key's mod_revision. */
export function encodeObject(object: StoredObject): string {
  const { resourceVersion: _rv, ...metadata } = object.metadata;
  return JSON.stringify({ ...object, metadata });
}

/**
 * Not validated again: the controller is etcd's only writer and every object it writes passed
 * the kind's schema at the API edge (services/batch-input.ts) or was built by the controller
 * itself from such an object (status writes). Re-validating on every read would run the schema
 * once per watch event and informer resync instead of once per request. A value that is not
 * JSON fails here (watches report it as HVS-STORE-VALUE-UNREADABLE).
 */
export function decodeObject<T extends StoredObject>(value: string, modRevision: string): T {
  const object = JSON.parse(value) as T;
  object.metadata.resourceVersion = modRevision;
  return object;
}

export interface PlanContext {
  now: string;
  newUid: () => string;
}

/** One planned key write. `expect` null means the key must not exist; otherwise its mod revision. */
export interface PlannedWrite {
  key: string;
  kind: string;
  name: string;
  expect: string | null;
  /** Whether the caller pinned the version (a conflict is theirs) or the store read it (retry). */
  pinned: boolean;
  /** Object to store (resourceVersion filled after commit), or 'remove', or null for no write. */
  write: StoredObject | 'remove' | null;
  outcome: WriteOutcome;
  /** What the caller gets back (for removals and no-ops: the current object). */
  object: StoredObject;
}

/** A deep copy that is not JSON text (the object becomes text once, in encodeObject). */
function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

function opTarget(op: WriteOp): { kind: string; name: string } {
  return op.op === 'delete' ? { kind: op.kind, name: op.name } : { kind: op.object.kind, name: op.object.metadata?.name };
}

export function opKey(op: WriteOp): string {
  const { kind, name } = opTarget(op);
  return objectKey(kind, name);
}

/**
 * Decides one write against the current stored object (undefined = absent). Throws NotFound,
 * AlreadyExists or Conflict (caller-pinned resourceVersion or uid does not match).
 */
export function planWrite(op: WriteOp, current: StoredObject | undefined, ctx: PlanContext): PlannedWrite {
  const { kind, name } = opTarget(op);
  const key = objectKey(kind, name);
  if (op.op === 'create') {
    if (current) throw alreadyExists(kind, name);
    const m = op.object.metadata;
    const object: StoredObject = {
      ...clone(op.object),
      metadata: { ...clone(m), uid: op.uid ?? ctx.newUid(), creationTimestamp: ctx.now, generation: 1, resourceVersion: undefined, deletionTimestamp: undefined },
    };
    stripUndefined(object.metadata);
    return { key, kind, name, expect: null, pinned: true, write: object, outcome: 'created', object };
  }
  if (!current) throw notFound(kind, name);
  const rv = current.metadata.resourceVersion!;
  const wanted = op.op === 'delete' ? op.resourceVersion : op.object.metadata.resourceVersion;
  if (wanted !== undefined && wanted !== rv) {
    throw conflict(kind, name, `you wrote resourceVersion ${wanted} but it is now at ${rv}`);
  }
  if (op.op !== 'delete' && op.object.metadata.uid !== undefined && op.object.metadata.uid !== current.metadata.uid) {
    throw conflict(kind, name, `uid ${op.object.metadata.uid} was deleted and re-created as ${current.metadata.uid}`);
  }
  const base = { key, kind, name, expect: rv, pinned: wanted !== undefined };
  if (op.op === 'delete') {
    const had = current.metadata.finalizers ?? [];
    const left = had.filter((f) => !op.dropFinalizers?.includes(f));
    if (left.length === 0) return { ...base, write: 'remove', outcome: 'deleted', object: current };
    if (current.metadata.deletionTimestamp && left.length === had.length) return { ...base, write: null, outcome: 'terminating', object: current };
    const object = { ...clone(current), metadata: { ...clone(current.metadata), deletionTimestamp: current.metadata.deletionTimestamp ?? ctx.now, finalizers: left } };
    return { ...base, write: object, outcome: 'terminating', object };
  }
  let next: StoredObject;
  if (op.op === 'updateStatus') {
    next = { ...clone(current), status: clone(op.object.status) };
  } else {
    const m = op.object.metadata;
    const specChanged = !deepEqual(current.spec, op.object.spec);
    next = {
      apiVersion: op.object.apiVersion ?? current.apiVersion,
      kind: current.kind,
      metadata: {
        ...clone(current.metadata),
        labels: clone(m.labels), annotations: clone(m.annotations), finalizers: clone(m.finalizers),
        generation: (current.metadata.generation ?? 1) + (specChanged ? 1 : 0),
      },
      spec: clone(op.object.spec),
      status: clone(current.status),
    };
    stripUndefined(next.metadata);
    if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;
    if (next.status === undefined) delete next.status;
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) {
      return { ...base, write: 'remove', outcome: 'deleted', object: next };
    }
  }
  if (deepEqual(withoutVersion(next), withoutVersion(current))) return { ...base, write: null, outcome: 'unchanged', object: current };
  return { ...base, write: next, outcome: 'updated', object: next };
}

function withoutVersion(o: StoredObject): StoredObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: undefined } };
}

function stripUndefined(o: object): void {
  for (const [k, v] of Object.entries(o)) if (v === undefined) delete (o as Record<string, unknown>)[k];
}

/** Rejects a batch naming one object twice (its outcome would depend on op order). */
export function checkDistinctKeys(ops: WriteOp[]): string[] {
  const keys = ops.map(opKey);
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k)) {
      throw invalidWrite(`the batch names ${k} more than once (operation ${i + 1})`, 'one transaction writes each object at most once',
        'merge the changes to that object into one document', `ops[${i}]`);
    }
    seen.add(k);
  });
  return keys;
}
