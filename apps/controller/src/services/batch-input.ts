/**
 * Turning a request's manifests into validated resources, all-or-nothing: the size limit is
 * checked before anything is parsed, every document of every source is parsed and validated,
 * and every problem (with file, document index and line) is reported in one HvsError.
 */
import {
  locationOf, parseManifests, resolveKind, utf8Length, validateBatch, isKindName,
  type AnyResource, type BatchDocument, type Problem,
} from '@hvs/domain';
import { batchInvalid, emptyBatch, MAX_REQUEST_BYTES, requestTooLarge } from './errors';

/**
 * One manifest source. REST sends whole files (`content` may hold several YAML/JSON
 * documents); gRPC sends one JSON document per entry with its origin (`index`, 1-based, and
 * `line`), which then names it in errors.
 */
export interface SourceDocument {
  content: string;
  /** File name for error positions (`-` for stdin); default `request`. */
  file?: string;
  /** Set when `content` is exactly one JSON document: its 1-based index in its file. */
  index?: number;
  line?: number;
}

/** Total manifest bytes, refused over 1 MiB before any parsing. */
export function checkRequestSize(sources: readonly SourceDocument[]): void {
  let total = 0;
  for (const s of sources) {
    // length is a lower bound of the UTF-8 size: cheap early exit for huge inputs.
    total += s.content.length > MAX_REQUEST_BYTES ? s.content.length : utf8Length(s.content);
    if (total > MAX_REQUEST_BYTES) throw requestTooLarge(total);
  }
}

/** Validated resources in request order; throws HVS-APPLY-BATCH-INVALID listing every problem. */
export function loadBatch(sources: readonly SourceDocument[]): AnyResource[] {
  checkRequestSize(sources);
  const problems: Problem[] = [];
  const documents: BatchDocument[] = [];
  for (const s of sources) {
    const file = s.file === undefined || s.file === '' ? 'request' : s.file;
    if (s.index !== undefined) {
      const d = jsonDocument(s.content, { file, index: s.index, line: s.line });
      if ('problem' in d) problems.push(d.problem);
      else documents.push(d);
      continue;
    }
    const r = parseManifests(s.content, file);
    documents.push(...r.documents);
    if (!r.ok) problems.push(...r.problems);
  }
  for (const d of documents) d.doc = withCanonicalKind(d.doc);
  const v = validateBatch(documents);
  if (!v.ok) problems.push(...v.problems);
  if (problems.length > 0) throw batchInvalid(problems);
  if (documents.length === 0 || !v.ok) throw emptyBatch();
  return v.value;
}

function jsonDocument(content: string, where: Omit<BatchDocument, 'doc'>): BatchDocument | { problem: Problem } {
  const at = { ...where, line: where.line || undefined };
  try {
    return { ...at, doc: JSON.parse(content) as unknown };
  } catch (e) {
    return {
      problem: {
        code: 'HVS-MANIFEST-SYNTAX', path: locationOf({ doc: undefined, ...at }),
        message: 'the document is not valid JSON', why: (e as Error).message.slice(0, 200),
        fix: 'send each document as JSON text (hvctl converts YAML for you)',
      },
    };
  }
}

/** `kind: vm` -> `kind: VirtualMachine`: the short names people type elsewhere work in files too. */
function withCanonicalKind(doc: unknown): unknown {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const kind = (doc as Record<string, unknown>).kind;
  if (typeof kind !== 'string' || isKindName(kind)) return doc;
  const resolved = resolveKind(kind);
  return resolved === undefined ? doc : { ...doc, kind: resolved };
}
