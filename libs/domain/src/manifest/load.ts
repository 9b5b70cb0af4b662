import type { Problem } from '../errors';
import type { AnyResource } from '../kinds/registry';
import { validateBatch } from '../validation/validate';
import { parseManifests, type ManifestDocument } from './parse';

export interface ManifestFile {
  text: string;
  fileName: string;
}

export type LoadResult =
  | { ok: true; resources: AnyResource[]; documents: ManifestDocument[] }
  | { ok: false; problems: Problem[]; documents: ManifestDocument[] };

/**
 * Parses and validates files as one batch (what `hvctl apply -f a.yaml -f dir/` sends):
 * every parse problem and every validation problem, including kind/name duplicates across
 * files. Never throws.
 */
export function loadManifests(files: readonly ManifestFile[]): LoadResult {
  const problems: Problem[] = [];
  const documents: ManifestDocument[] = [];
  for (const f of files) {
    const r = parseManifests(f.text, f.fileName);
    documents.push(...r.documents);
    if (!r.ok) problems.push(...r.problems);
  }
  const v = validateBatch(documents);
  if (!v.ok) problems.push(...v.problems);
  if (problems.length > 0 || !v.ok) return { ok: false, problems, documents };
  return { ok: true, resources: v.value, documents };
}
