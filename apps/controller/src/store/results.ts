import type { PlannedWrite } from './objects';
import type { BatchResult, DeleteResult, StoredObject } from './types';

/** Turns committed plans into the caller's result: written objects carry the commit revision. */
export function batchOutcome(plans: PlannedWrite[], revision: string): BatchResult {
  return {
    revision,
    results: plans.map((p) => {
      const object: StoredObject = p.write === null ? p.object : { ...p.object, metadata: { ...p.object.metadata, resourceVersion: revision } };
      return { kind: p.kind, name: p.name, outcome: p.outcome, object };
    }),
  };
}

export function deleteOutcome(batch: BatchResult): DeleteResult {
  const r = batch.results[0]!;
  return { object: r.object, deleted: r.outcome === 'deleted' };
}
