import type { ObjectMeta as ProtoObjectMeta } from '../gen/hvs/v1/object.js';
import type { ObjectMeta } from './domain-types.js';

/**
 * Domain ObjectMeta -> proto. Lossless for canonical metadata: empty labels,
 * annotations and finalizers are the same as absent ones (proto3 cannot tell
 * an empty map from a missing one), and come back absent.
 */
export function toProtoMeta(meta: ObjectMeta): ProtoObjectMeta {
  return {
    name: meta.name,
    uid: meta.uid,
    labels: { ...(meta.labels ?? {}) },
    annotations: { ...(meta.annotations ?? {}) },
    generation: meta.generation,
    resourceVersion: meta.resourceVersion,
    creationTimestamp: meta.creationTimestamp,
    deletionTimestamp: meta.deletionTimestamp,
    finalizers: [...(meta.finalizers ?? [])],
  };
}

/** Proto ObjectMeta -> domain; absent optionals stay absent (no `undefined` keys). */
export function fromProtoMeta(msg: ProtoObjectMeta): ObjectMeta {
  const meta: ObjectMeta = { name: msg.name };
  if (msg.uid !== undefined) meta.uid = msg.uid;
  if (Object.keys(msg.labels).length > 0) meta.labels = { ...msg.labels };
  if (Object.keys(msg.annotations).length > 0) meta.annotations = { ...msg.annotations };
  if (msg.generation !== undefined) meta.generation = msg.generation;
  if (msg.resourceVersion !== undefined) meta.resourceVersion = msg.resourceVersion;
  if (msg.creationTimestamp !== undefined) meta.creationTimestamp = msg.creationTimestamp;
  if (msg.deletionTimestamp !== undefined) meta.deletionTimestamp = msg.deletionTimestamp;
  if (msg.finalizers.length > 0) meta.finalizers = [...msg.finalizers];
  return meta;
}
