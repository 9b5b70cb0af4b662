/**
 * What an apply writes, decided purely from the documents and the objects read: the desired
 * object as planning sees it (system annotations kept), and the store op that makes it so,
 * pinned to the version that was read (a concurrent writer turns into Conflict, never into a
 * write the plan did not show).
 */
import { planKey, type AnyResource } from '@hvs/domain';
import { finalizersFor } from '../runtime/finalizers';
import { conflict, deepEqual, type StoredObject, type WriteOp } from '../store';

/**
 * Annotations the system owns (`hvs.dev/restartedAt` from `hvctl restart`...). An apply keeps
 * them unless the document sets them itself, so re-applying the same file is `unchanged`.
 */
export const SYSTEM_ANNOTATION_PREFIX = 'hvs.dev/';

export interface ObjectWrite {
  key: string;
  /** Absent when the plan is `unchanged`. */
  op?: WriteOp;
  generationBefore: number;
  generationAfter: number;
}

/** The document as it will be stored: system annotations of the current object merged in. */
export function desiredOf(resource: AnyResource, current: StoredObject | undefined): AnyResource {
  const kept = Object.entries(current?.metadata.annotations ?? {}).filter(([k]) => k.startsWith(SYSTEM_ANNOTATION_PREFIX));
  const own = resource.metadata.annotations ?? {};
  const merged = { ...Object.fromEntries(kept.filter(([k]) => !(k in own))), ...own };
  const metadata = { ...resource.metadata };
  if (Object.keys(merged).length > 0) metadata.annotations = merged;
  else delete metadata.annotations;
  const { status: _status, ...rest } = resource;
  return { ...rest, metadata } as AnyResource;
}

/**
 * The op for one document. `create` when nothing is stored; `update` pinned to the stored
 * version (or to the document's own resourceVersion, whose staleness is then the caller's
 * Conflict); nothing for `unchanged`. Server-owned metadata (uid, finalizers, timestamps)
 * comes from the stored object: a document cannot drop finalizers by leaving them out.
 */
export function writeFor(desired: AnyResource, current: StoredObject | undefined, action: 'create' | 'update' | 'unchanged', uid?: string): ObjectWrite {
  const key = planKey(desired);
  const pinned = desired.metadata.resourceVersion;
  if (current === undefined) {
    if (pinned !== undefined) {
      throw conflict(desired.kind, desired.metadata.name, `the document names resourceVersion ${pinned} but the object does not exist (deleted?)`);
    }
    const { labels, annotations, name } = desired.metadata;
    // Server-owned from the start: every clean-up concern of the kind (runtime/finalizers.ts).
    const finalizers = finalizersFor(desired.kind);
    const object: StoredObject = {
      apiVersion: desired.apiVersion, kind: desired.kind,
      metadata: { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}), ...(finalizers.length > 0 ? { finalizers } : {}) },
      spec: desired.spec,
    };
    return { key, op: { op: 'create', object, ...(uid ? { uid } : {}) }, generationBefore: 0, generationAfter: 1 };
  }
  const before = current.metadata.generation ?? 1;
  if (action === 'unchanged') {
    if (pinned !== undefined && pinned !== current.metadata.resourceVersion) {
      throw conflict(desired.kind, desired.metadata.name, `you applied resourceVersion ${pinned} but it is now at ${current.metadata.resourceVersion}`);
    }
    return { key, generationBefore: before, generationAfter: before };
  }
  const object: StoredObject = {
    apiVersion: desired.apiVersion, kind: desired.kind,
    metadata: {
      ...current.metadata,
      labels: desired.metadata.labels,
      annotations: desired.metadata.annotations,
      uid: desired.metadata.uid ?? current.metadata.uid,
      resourceVersion: pinned ?? current.metadata.resourceVersion,
    },
    spec: desired.spec,
  };
  const after = before + (deepEqual(current.spec, desired.spec) ? 0 : 1);
  return { key, op: { op: 'update', object }, generationBefore: before, generationAfter: after };
}
