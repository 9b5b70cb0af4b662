/**
 * Validation of untrusted resources. Guarantees: never throws (whatever the input), reports
 * every problem at once (envelope, schema, cross-field rules), each with a stable code, the
 * field path, what/why/fix, and never echoes secret values (cloudInit.userData).
 */
import type { Problem } from '../errors';
import { API_VERSION, KIND_NAMES } from '../kinds/meta';
import { KINDS, isKindName, resolveKind, type AnyResource, type KindTypes } from '../kinds/registry';
import type { KindName } from '../kinds/meta';
import { get, obj, str } from './access';
import { didYouMean } from '../formats/formats';
import { issueToProblems } from './issues';
import { kindRules } from './kind-rules';
import { problem, quote, type PathSeg } from './problem';
import { checkSafety } from './safety';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.code}|${p.path ?? ''}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function envelopeProblems(doc: Record<string, unknown>): { kind?: KindName; problems: Problem[] } {
  const problems: Problem[] = [];
  const apiVersion = get(doc, 'apiVersion');
  if (apiVersion !== API_VERSION) {
    problems.push(problem('HVS-APIVERSION-UNSUPPORTED', ['apiVersion'], apiVersion, apiVersion === undefined ? { what: 'is missing' } : {}));
  }
  const kind = get(doc, 'kind');
  if (isKindName(kind)) return { kind, problems };
  const typed = str(kind);
  const resolved = typed === undefined ? undefined : resolveKind(typed);
  const guess = resolved ?? (typed === undefined ? undefined : didYouMean(typed, KIND_NAMES));
  problems.push(
    problem('HVS-KIND-UNKNOWN', ['kind'], kind, {
      what: kind === undefined ? 'is missing' : 'is not a known kind',
      detail: guess ? `(did you mean "${guess}"?)` : undefined,
      fix: guess ? `set kind: ${guess}` : undefined,
    }),
  );
  return { problems };
}

/** Validates one resource of any kind. Never throws. */
export function validateResource(input: unknown): ValidationResult<AnyResource> {
  try {
    return validateUnsafe(input);
  } catch (e) {
    // A bug in a rule must not let an exception escape to the API layer; report it instead.
    return { ok: false, problems: [problem('HVS-FIELD-INVALID', [], undefined, { subject: 'document', what: `could not be validated (${e instanceof Error ? e.name : 'error'})`, fix: 'report this as a bug with the document attached' })] };
  }
}

/** Validates a resource that must be of the given kind. */
export function validateKind<K extends KindName>(kind: K, input: unknown): ValidationResult<KindTypes[K]> {
  const r = validateResource(input);
  if (!r.ok) return r;
  if (r.value.kind !== kind) return { ok: false, problems: [problem('HVS-KIND-UNKNOWN', ['kind'], r.value.kind, { what: `is not ${kind}`, fix: `send a ${kind}` })] };
  return r as ValidationResult<KindTypes[K]>;
}

function validateUnsafe(input: unknown): ValidationResult<AnyResource> {
  const doc = obj(input);
  if (!doc) return { ok: false, problems: [problem('HVS-DOCUMENT-NOT-OBJECT', [], undefined, { subject: `the document (${quote(input)})` })] };
  const safety = checkSafety(doc);
  if (safety.length > 0) return { ok: false, problems: safety };

  const env = envelopeProblems(doc);
  if (!env.kind) return { ok: false, problems: env.problems };
  const info = KINDS[env.kind];
  const parsed = info.schema.safeParse(doc);
  const problems = [...env.problems];
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(...issueToProblems(issue, doc, info.schema, info.area));
  problems.push(...kindRules(env.kind, doc));
  if (problems.length > 0) return { ok: false, problems: dedupe(problems) };
  return { ok: true, value: parsed.data as AnyResource };
}

/** One input document with where it came from (parseManifests fills these in). */
export interface BatchDocument {
  doc: unknown;
  file?: string;
  /** 1-based document number in the file. */
  index?: number;
  /** 1-based item number when the document is a list (JSON array or kind: List). */
  item?: number;
  /** 1-based line where the document starts. */
  line?: number;
  /** The line of a field inside the document, when known (YAML source positions). */
  lineOf?: (path: readonly PathSeg[]) => number | undefined;
}

/** `vms.yaml: document 2 (line 14)` */
export function locationOf(d: BatchDocument, line = d.line): string {
  const parts: string[] = [];
  if (d.file !== undefined) parts.push(d.file);
  const item = d.item !== undefined ? ` item ${d.item}` : '';
  if (d.index !== undefined) parts.push(`document ${d.index}${item}${line !== undefined ? ` (line ${line})` : ''}`);
  else if (line !== undefined) parts.push(`line ${line}`);
  return parts.join(': ');
}

function withLocation(p: Problem, d: BatchDocument): Problem {
  const segs = pathSegments(p.path);
  const line = (segs && d.lineOf?.(segs)) ?? d.line;
  const loc = locationOf(d, line);
  if (loc === '') return p;
  return { ...p, path: p.path ? `${loc}: ${p.path}` : loc };
}

/** Inverse of formatPath for the paths we produce (`spec.disks[0].size`, `labels["a/b"]`). */
function pathSegments(path: string | undefined): PathSeg[] | undefined {
  if (path === undefined) return undefined;
  const segs: PathSeg[] = [];
  const re = /([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\./gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) segs.push(m[1]);
    else if (m[2] !== undefined) segs.push(Number(m[2]));
    else if (m[3] !== undefined) segs.push(JSON.parse(m[3]) as string);
    if (re.lastIndex === path.length) break;
  }
  return segs;
}

/**
 * Validates a batch as one unit (apply is all-or-nothing): every problem of every document,
 * plus kind/name duplicates across the batch, each prefixed with file/document/line.
 */
export function validateBatch(docs: readonly BatchDocument[]): ValidationResult<AnyResource[]> {
  const problems: Problem[] = [];
  const values: AnyResource[] = [];
  const seen = new Map<string, BatchDocument>();
  for (const d of docs) {
    const r = validateResource(d.doc);
    if (r.ok) values.push(r.value);
    else problems.push(...r.problems.map((p) => withLocation(p, d)));
    const o = obj(d.doc);
    const kind = str(get(o, 'kind'));
    const name = str(get(obj(get(o, 'metadata')), 'name'));
    if (kind === undefined || name === undefined) continue;
    const key = `${kind}/${name}`;
    const first = seen.get(key);
    if (first) {
      const p = problem('HVS-BATCH-DUPLICATE-NAME', ['metadata', 'name'], undefined, {
        subject: key,
        detail: locationOf(first) !== '' ? `(first at ${locationOf(first)})` : undefined,
      });
      problems.push(withLocation(p, d));
    } else seen.set(key, d);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: values };
}
