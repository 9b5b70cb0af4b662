/**
 * Label selectors, Kubernetes syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
 * Pure: parse once, match many times. Semantics (same as Kubernetes): `a=b`/`a==b` need the
 * label present and equal; `a!=b` matches when it is absent or different; `in` needs it present
 * and in the set; `notin` matches when absent or outside the set; `g` needs it present; `!h`
 * needs it absent. All requirements must hold (AND); the empty selector matches everything.
 */
import { HvsError } from '../errors';

export type SelectorOperator = 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelRequirement {
  key: string;
  operator: SelectorOperator;
  /** One value for Equals/NotEquals, one or more for In/NotIn, none for Exists/DoesNotExist. */
  values: string[];
}

export interface LabelSelector {
  requirements: LabelRequirement[];
}

/** `prefix/name` where the prefix is a DNS subdomain and the name is 1-63 chars. */
const KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Label values may be empty; otherwise 1-63 chars, alphanumeric at both ends. */
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export function isLabelKey(key: string): boolean {
  return KEY.test(key);
}

export function isLabelValue(value: string): boolean {
  return VALUE.test(value);
}

type Token = { kind: 'word'; text: string; at: number } | { kind: 'op'; text: '=' | '==' | '!=' | '!' | ',' | '(' | ')'; at: number };

function invalid(text: string, at: number, what: string): HvsError {
  return new HvsError({
    code: 'HVS-LABEL-SELECTOR-INVALID',
    category: 'InvalidArgument',
    path: 'labelSelector',
    message: `label selector "${text}" is invalid at position ${at + 1}: ${what}`,
    why: 'a selector is a comma-separated list of requirements: key=value, key!=value, key in (v1,v2), key notin (v1), key, !key',
    fix: 'write it like `app=web,tier!=db,zone in (a,b),!legacy`',
  });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (text.startsWith('==', i) || text.startsWith('!=', i)) {
      tokens.push({ kind: 'op', text: text.slice(i, i + 2) as '==' | '!=', at: i });
      i += 2;
    } else if ('=!,()'.includes(c)) {
      tokens.push({ kind: 'op', text: c as '=' | '!' | ',' | '(' | ')', at: i });
      i++;
    } else {
      const start = i;
      while (i < text.length && !' \t=!,()'.includes(text[i]!)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), at: start });
    }
  }
  return tokens;
}

/** Parses a selector; throws HvsError HVS-LABEL-SELECTOR-INVALID naming the position. */
export function parseLabelSelector(text: string): LabelSelector {
  const tokens = tokenize(text);
  const requirements: LabelRequirement[] = [];
  let pos = 0;
  const peek = () => tokens[pos];
  const at = () => peek()?.at ?? text.length;
  const word = (what: string): string => {
    const t = tokens[pos];
    if (!t || t.kind !== 'word') throw invalid(text, at(), `expected ${what}`);
    pos++;
    return t.text;
  };
  const key = (): string => {
    const k = word('a label key');
    if (!isLabelKey(k)) throw invalid(text, tokens[pos - 1]!.at, `"${k}" is not a valid label key`);
    return k;
  };
  const value = (): string => {
    const t = peek();
    if (!t || t.kind !== 'word') return ''; // `a=` selects the empty value, as in Kubernetes
    pos++;
    if (!isLabelValue(t.text)) throw invalid(text, t.at, `"${t.text}" is not a valid label value`);
    return t.text;
  };
  const valueSet = (): string[] => {
    const open = peek();
    if (!open || open.kind !== 'op' || open.text !== '(') throw invalid(text, at(), 'expected "(" after in/notin');
    pos++;
    const values: string[] = [];
    for (;;) {
      values.push(value());
      const t = peek();
      if (t?.kind === 'op' && t.text === ',') { pos++; continue; }
      if (t?.kind === 'op' && t.text === ')') { pos++; break; }
      throw invalid(text, at(), 'expected "," or ")" in the value list');
    }
    return [...new Set(values)].sort();
  };

  if (tokens.length === 0) return { requirements };
  for (;;) {
    const t = peek();
    if (t?.kind === 'op' && t.text === '!') {
      pos++;
      requirements.push({ key: key(), operator: 'DoesNotExist', values: [] });
    } else {
      const k = key();
      const next = peek();
      if (!next || (next.kind === 'op' && next.text === ',')) {
        requirements.push({ key: k, operator: 'Exists', values: [] });
      } else if (next.kind === 'op' && (next.text === '=' || next.text === '==' || next.text === '!=')) {
        pos++;
        requirements.push({ key: k, operator: next.text === '!=' ? 'NotEquals' : 'Equals', values: [value()] });
      } else if (next.kind === 'word' && (next.text === 'in' || next.text === 'notin')) {
        pos++;
        requirements.push({ key: k, operator: next.text === 'in' ? 'In' : 'NotIn', values: valueSet() });
      } else {
        throw invalid(text, next.at, `expected =, ==, !=, in or notin after "${k}"`);
      }
    }
    const sep = peek();
    if (!sep) break;
    if (sep.kind !== 'op' || sep.text !== ',') throw invalid(text, sep.at, 'expected "," between requirements');
    pos++;
  }
  return { requirements };
}

export function matchesLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = (k: string) => labels !== undefined && Object.prototype.hasOwnProperty.call(labels, k);
  return selector.requirements.every((r) => {
    const present = has(r.key);
    const v = present ? labels![r.key]! : undefined;
    switch (r.operator) {
      case 'Equals': return present && v === r.values[0];
      case 'NotEquals': return !present || v !== r.values[0];
      case 'In': return present && r.values.includes(v!);
      case 'NotIn': return !present || !r.values.includes(v!);
      case 'Exists': return present;
      case 'DoesNotExist': return !present;
    }
  });
}

/** The canonical text form; `parseLabelSelector(formatLabelSelector(s))` equals `s`. */
export function formatLabelSelector(selector: LabelSelector): string {
  return selector.requirements.map((r) => {
    switch (r.operator) {
      case 'Equals': return `${r.key}=${r.values[0] ?? ''}`;
      case 'NotEquals': return `${r.key}!=${r.values[0] ?? ''}`;
      case 'In': return `${r.key} in (${r.values.join(',')})`;
      case 'NotIn': return `${r.key} notin (${r.values.join(',')})`;
      case 'Exists': return r.key;
      case 'DoesNotExist': return `!${r.key}`;
    }
  }).join(',');
}

/** Parses text, or accepts an already parsed selector; undefined/empty selects everything. */
export function toLabelSelector(selector: string | LabelSelector | undefined): LabelSelector {
  if (selector === undefined) return { requirements: [] };
  return typeof selector === 'string' ? parseLabelSelector(selector) : selector;
}

/** `{app: 'web'}` style maps (nodeSelector, FirewallPolicy.selector) as a selector. */
export function selectorFromMap(map: Readonly<Record<string, string>>): LabelSelector {
  return { requirements: Object.keys(map).sort().map((key) => ({ key, operator: 'Equals' as const, values: [map[key]!] })) };
}
