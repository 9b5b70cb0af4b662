/**
 * zod issues -> Problems. The kinds' format checks carry their HVS code as the zod message;
 * zod's own issues (unknown key, wrong type, enum, bounds) map to HVS-FIELD-* codes here.
 */
import type { z } from 'zod';
import type { Problem } from '../errors';
import { didYouMean } from '../formats/formats';
import { nameCodeFor } from './catalog';
import { problem, valueAt, type PathSeg } from './problem';

const CODE_RE = /^HVS-[A-Z0-9-]+$/;

interface Def {
  type?: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  element?: unknown;
  valueType?: unknown;
  in?: unknown;
  options?: unknown[];
}

function defOf(schema: unknown): Def | undefined {
  const zod = (schema as { _zod?: { def?: Def } } | undefined)?._zod;
  return zod?.def;
}

/** Unwraps optional/default/nullable/pipe wrappers. */
function unwrap(schema: unknown): unknown {
  let s = schema;
  for (let i = 0; i < 16; i++) {
    const d = defOf(s);
    if (!d) return s;
    if (d.innerType !== undefined && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(d.type ?? '')) s = d.innerType;
    else if (d.type === 'pipe' && d.in !== undefined) s = d.in;
    else return s;
  }
  return s;
}

/** The sub-schema at a path (through objects, arrays and records), or undefined. */
export function schemaAt(schema: unknown, path: readonly PathSeg[]): unknown {
  let s = unwrap(schema);
  for (const seg of path) {
    const d = defOf(s);
    if (!d) return undefined;
    if (d.type === 'object' && typeof seg === 'string' && d.shape && Object.prototype.hasOwnProperty.call(d.shape, seg)) s = d.shape[seg];
    else if (d.type === 'array' && typeof seg === 'number') s = d.element;
    else if (d.type === 'record') s = d.valueType;
    else return undefined;
    s = unwrap(s);
  }
  return s;
}

/** The field names an object schema allows at a path. */
export function allowedKeysAt(schema: unknown, path: readonly PathSeg[]): string[] {
  const d = defOf(schemaAt(schema, path));
  return d?.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

type Issue = z.core.$ZodIssue;

function hvsCodeOf(issue: Issue): string | undefined {
  if (CODE_RE.test(issue.message)) return issue.message;
  if (issue.code === 'invalid_key' || issue.code === 'invalid_element') {
    for (const inner of issue.issues) if (CODE_RE.test(inner.message)) return inner.message;
  }
  if (issue.code === 'invalid_union') {
    for (const branch of issue.errors) for (const inner of branch) if (CODE_RE.test(inner.message)) return inner.message;
  }
  return undefined;
}

/** Maps one zod issue to one or more Problems. `area` names the kind's code area (VM, NET...). */
export function issueToProblems(issue: Issue, root: unknown, schema: unknown, area: string): Problem[] {
  const path = issue.path.filter((p): p is PathSeg => typeof p !== 'symbol');
  const value = valueAt(root, path);

  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(schema, path);
    return issue.keys.map((key) => {
      const guess = didYouMean(key, allowed);
      return problem('HVS-FIELD-UNKNOWN', [...path, key], undefined, {
        subject: JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}...` : key),
        detail: guess ? `(did you mean "${guess}"?)` : allowed.length > 0 ? `(allowed here: ${allowed.join(', ')})` : undefined,
        fix: guess ? `rename it to "${guess}"` : 'remove the field or correct its spelling',
      });
    });
  }

  const code = hvsCodeOf(issue);
  if (code) {
    const finalCode = code === 'HVS-NAME-INVALID' && path.length === 2 && path[0] === 'metadata' && path[1] === 'name' ? nameCodeFor(area) : code;
    if (issue.code === 'invalid_key') return [problem(finalCode, path, undefined, { subject: `key ${JSON.stringify(String(path[path.length - 1]).slice(0, 80))}`, what: 'is not valid' })];
    return [problem(finalCode, path, value)];
  }

  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return [problem('HVS-FIELD-REQUIRED', path, undefined, { what: 'is required' })];
      if (typeof value === 'number' && !Number.isFinite(value)) return [problem('HVS-NUMBER-INVALID', path, value, { what: 'is not a finite number' })];
      return [problem('HVS-FIELD-TYPE', path, value, { what: `has the wrong type: expected ${issue.expected}, got ${typeName(value)}` })];
    case 'invalid_value': {
      const allowed = issue.values.map((v) => String(v));
      const guess = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
      return [
        problem('HVS-FIELD-ENUM', path, value, {
          what: `is not one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
          fix: guess ? `use "${guess}"` : `use one of ${allowed.join(', ')}`,
        }),
      ];
    }
    case 'too_big':
    case 'too_small': {
      const bound = issue.code === 'too_big' ? `at most ${String(issue.maximum)}` : `at least ${String(issue.minimum)}`;
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
        return [problem('HVS-NUMBER-INVALID', path, value, { what: `is out of range: must be ${bound}` })];
      }
      const unit = issue.origin === 'string' ? 'characters' : 'entries';
      return [problem('HVS-FIELD-LENGTH', path, value, { what: `has ${issue.code === 'too_big' ? 'too many' : 'too few'} ${unit}: ${bound}` })];
    }
    case 'invalid_union':
      return [problem('HVS-FIELD-TYPE', path, value, { what: `has the wrong type (${typeName(value)})` })];
    case 'invalid_format':
      return [problem('HVS-FIELD-INVALID', path, value, { what: `is not a valid ${issue.format}` })];
    default:
      return [problem('HVS-FIELD-INVALID', path, value, { what: `is invalid: ${issue.message}` })];
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}
