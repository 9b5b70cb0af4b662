/**
 * A bounded pre-pass over an untrusted document before any schema sees it: refuses
 * prototype-polluting keys anywhere, nesting deeper than MAX_DEPTH and more than MAX_VALUES
 * values. Iterative (no recursion), so hostile depth cannot overflow the stack here.
 */
import type { Problem } from '../errors';
import { problem, type PathSeg } from './problem';

export const MAX_DEPTH = 32;
export const MAX_VALUES = 100_000;
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function checkSafety(doc: unknown): Problem[] {
  const problems: Problem[] = [];
  const stack: { v: unknown; path: PathSeg[] }[] = [{ v: doc, path: [] }];
  let count = 0;
  let tooDeep = false;
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (++count > MAX_VALUES) {
      return [problem('HVS-DOCUMENT-TOO-LARGE', [], undefined, { subject: 'document', what: `has more than ${MAX_VALUES} values` })];
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= MAX_DEPTH) {
      if (!tooDeep) problems.push(problem('HVS-DOCUMENT-TOO-DEEP', [], undefined, { subject: 'document', what: `is nested more than ${MAX_DEPTH} levels deep` }));
      tooDeep = true;
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      if (FORBIDDEN_KEYS.has(k)) {
        problems.push(problem('HVS-KEY-FORBIDDEN', [...path, k], undefined, { subject: JSON.stringify(k) }));
        continue;
      }
      stack.push({ v: (v as Record<string, unknown>)[k], path: [...path, k] });
    }
  }
  return problems;
}
