/**
 * Manifest loading, pure: text + file name in, documents (with file, document index and line)
 * or Problems out. Never throws. Refuses, with a coded Problem each: inputs over 8 MiB,
 * documents over 1 MiB, YAML syntax errors, duplicate keys, tags other than plain YAML
 * types, alias bombs (more than MAX_ALIASES aliases or MAX_EXPANDED_VALUES values after
 * expansion, checked before anything is expanded), and non-object documents. JSON goes
 * through the same YAML 1.2 parser, so it gets the same line numbers and duplicate-key check.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import type { Problem } from '../errors';
import { problem, type PathSeg } from '../validation/problem';
import { locationOf, type BatchDocument } from '../validation/validate';

export const MAX_INPUT_BYTES = 8 * 1024 * 1024;
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
export const MAX_ALIASES = 100;
export const MAX_EXPANDED_VALUES = 100_000;

export interface ManifestDocument extends BatchDocument {
  doc: unknown;
  file: string;
  index: number;
  line: number;
}

export type ParseResult = { ok: true; documents: ManifestDocument[] } | { ok: false; problems: Problem[]; documents: ManifestDocument[] };

const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** UTF-8 length without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export const MAX_FLOW_DEPTH = 64;

/**
 * The deepest nesting of [ and { outside quotes and comments: refuses bracket bombs before
 * the (recursive) parser sees them. A fast path, not the only guard: an apostrophe in a plain
 * scalar can hide brackets from this scan, and then the parser's own stack overflow is caught
 * and reported with the same code. Valid resources nest far less than MAX_FLOW_DEPTH.
 */
export function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (comment) {
      if (c === '\n') comment = false;
      continue;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return max;
}

/**
 * The first chunk between document markers (`---` / `...` at column 0, which YAML never
 * allows inside a document) that is over MAX_DOCUMENT_BYTES, found without parsing, so a huge
 * document costs a scan rather than a parse. Parsed documents are measured again below
 * (that catches items of a JSON array or List).
 */
function oversizedChunk(text: string): { line: number; bytes: number } | undefined {
  if (utf8Length(text) <= MAX_DOCUMENT_BYTES) return undefined;
  const re = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;
  let start = 0;
  let startLine = 1;
  let line = 1;
  let lastIndex = 0;
  // Lists (JSON arrays, sequences, kind: List) may exceed the limit as a whole; their items
  // are measured after parsing.
  const check = (end: number) => {
    const head = text.slice(start, Math.min(end, start + 512)).replace(/^(?:---|\.\.\.)[^\n]*\n?/, '').replace(/^(?:\s*#[^\n]*\n|\s+)*/, '');
    if (head.startsWith('[') || head.startsWith('- ') || /kind["']?\s*:\s*["']?List\b/.test(head)) return undefined;
    const bytes = utf8Length(text.slice(start, end));
    return bytes > MAX_DOCUMENT_BYTES ? { line: startLine, bytes } : undefined;
  };
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    for (let i = lastIndex; i < m.index; i++) if (text.charCodeAt(i) === 10) line++;
    lastIndex = m.index;
    const found = check(m.index);
    if (found) return found;
    start = m.index;
    startLine = line;
  }
  return check(text.length);
}

function at(file: string, index?: number, line?: number, item?: number): string {
  return locationOf({ doc: undefined, file, index, line, item });
}

function located(p: Problem, where: string): Problem {
  return { ...p, path: p.path ? `${where}: ${p.path}` : where };
}

/**
 * Walks a document's nodes once, before toJS: counts aliases, refuses unknown tags, and
 * computes the number of values the document would expand to (aliases count as the size
 * of their target). Bounded: stops as soon as a limit is crossed.
 */
function inspect(doc: Document, onTag: (tag: string, node: YamlNode) => void): { aliases: number; expanded: number; deep: boolean } {
  const memo = new Map<unknown, number>();
  let aliases = 0;
  let deep = false;
  const sizeOf = (node: unknown, depth: number): number => {
    if (depth > 200) {
      deep = true;
      return MAX_EXPANDED_VALUES + 1;
    }
    if (node === null || node === undefined) return 1;
    const cached = memo.get(node);
    if (cached !== undefined) return cached;
    let size = 1;
    if (isAlias(node)) {
      aliases++;
      const target = node.resolve(doc);
      // A missing or self-containing target is treated as over the limit.
      memo.set(node, MAX_EXPANDED_VALUES + 1);
      size = target ? sizeOf(target, depth + 1) : MAX_EXPANDED_VALUES + 1;
    } else {
      memo.set(node, MAX_EXPANDED_VALUES + 1);
      const tagged = node as YamlNode;
      if (tagged.tag && !PLAIN_TAGS.has(tagged.tag)) onTag(tagged.tag, tagged);
      if (isMap(node) || isSeq(node)) {
        for (const it of node.items as unknown[]) {
          if (isScalar(it) || isAlias(it) || isMap(it) || isSeq(it)) size += sizeOf(it, depth + 1);
          else {
            const pair = it as { key: unknown; value: unknown };
            size += sizeOf(pair.key, depth + 1) + sizeOf(pair.value, depth + 1);
          }
          if (size > MAX_EXPANDED_VALUES || aliases > MAX_ALIASES) break;
        }
      }
    }
    memo.set(node, size);
    return size;
  };
  const expanded = sizeOf(doc.contents, 0);
  return { aliases, expanded, deep };
}

function lineAt(lc: LineCounter, offset: number | undefined): number | undefined {
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

/** Parses multi-document YAML or JSON (object, array, or kind: List). Never throws. */
export function parseManifests(text: string, fileName: string): ParseResult {
  try {
    return parseUnsafe(text, fileName);
  } catch (e) {
    const deep = e instanceof RangeError;
    const p = deep
      ? problem('HVS-DOCUMENT-TOO-DEEP', [], undefined, { subject: 'the input', what: 'is nested too deeply to parse' })
      : problem('HVS-MANIFEST-SYNTAX', [], undefined, { subject: 'the input', what: 'could not be parsed' });
    return { ok: false, problems: [located(p, fileName)], documents: [] };
  }
}

function parseUnsafe(text: string, file: string): ParseResult {
  if (text.length > MAX_INPUT_BYTES || utf8Length(text) > MAX_INPUT_BYTES) {
    return { ok: false, problems: [located(problem('HVS-MANIFEST-TOO-LARGE', [], undefined, { subject: 'the input' }), file)], documents: [] };
  }
  if (flowDepth(text) > MAX_FLOW_DEPTH) {
    return { ok: false, problems: [located(problem('HVS-DOCUMENT-TOO-DEEP', [], undefined, { subject: 'the input', what: `nests brackets more than ${MAX_FLOW_DEPTH} deep` }), file)], documents: [] };
  }
  const oversized = oversizedChunk(text);
  if (oversized) {
    const p = problem('HVS-MANIFEST-DOCUMENT-TOO-LARGE', [], undefined, { subject: `the document starting at line ${oversized.line}`, what: `is ${oversized.bytes} bytes, more than 1 MiB` });
    return { ok: false, problems: [located(p, file)], documents: [] };
  }
  const problems: Problem[] = [];
  const documents: ManifestDocument[] = [];
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: true, stringKeys: true, version: '1.2', merge: false });
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, i) => {
    const index = i + 1;
    const contents = doc.contents as YamlNode | null;
    const startLine = lineAt(lc, contents?.range?.[0] ?? doc.range?.[0]) ?? 1;
    const where = at(file, index, startLine);
    if (doc.errors.length > 0) {
      // The first error of a document is the one that matters; later ones are usually echoes.
      for (const err of doc.errors.slice(0, 1)) {
        if (/call stack/i.test(err.message)) {
          problems.push(located(problem('HVS-DOCUMENT-TOO-DEEP', [], undefined, { subject: 'the document', what: 'is nested too deeply to parse' }), where));
          continue;
        }
        const line = err.linePos?.[0]?.line ?? startLine;
        const code = err.code === 'DUPLICATE_KEY' ? 'HVS-MANIFEST-DUPLICATE-KEY' : 'HVS-MANIFEST-SYNTAX';
        const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        problems.push(located(problem(code, [], undefined, { subject: 'the document', what: code === 'HVS-MANIFEST-DUPLICATE-KEY' ? 'repeats a key' : `is not valid YAML/JSON (${first})` }), at(file, index, line)));
      }
      return;
    }
    // Empty documents (`---` twice, a comment only, or an explicit null) are skipped, as kubectl does.
    if (!contents || (isScalar(contents) && contents.value === null)) return;
    // A list (JSON array, YAML sequence, kind: List) is measured per item in push() below.
    const isList = isSeq(contents) || (isMap(contents) && contents.get('kind') === 'List');
    const range = contents.range ?? doc.range;
    const bytes = isList ? 0 : utf8Length(text.slice(range[0], range[2]));
    if (bytes > MAX_DOCUMENT_BYTES) {
      problems.push(located(problem('HVS-MANIFEST-DOCUMENT-TOO-LARGE', [], undefined, { subject: 'the document', what: `is ${bytes} bytes, more than 1 MiB` }), where));
      return;
    }
    const tagProblems: Problem[] = [];
    const seen = inspect(doc, (tag, node) => {
      if (tagProblems.length < 5) {
        tagProblems.push(located(problem('HVS-MANIFEST-TAG-UNSUPPORTED', [], undefined, { subject: JSON.stringify(tag.slice(0, 64)), what: 'is an unsupported YAML tag' }), at(file, index, lineAt(lc, node.range?.[0]))));
      }
    });
    if (seen.deep) {
      problems.push(located(problem('HVS-DOCUMENT-TOO-DEEP', [], undefined, { subject: 'the document', what: 'is nested too deeply' }), where));
      return;
    }
    if (seen.aliases > MAX_ALIASES || seen.expanded > MAX_EXPANDED_VALUES) {
      problems.push(
        located(
          problem('HVS-MANIFEST-ALIAS-LIMIT', [], undefined, {
            subject: 'the document',
            what: seen.aliases > MAX_ALIASES ? `uses more than ${MAX_ALIASES} aliases` : `would expand to more than ${MAX_EXPANDED_VALUES} values through aliases`,
          }),
          where,
        ),
      );
      return;
    }
    if (tagProblems.length > 0) {
      problems.push(...tagProblems);
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIASES });
    const lineOf = (base: PathSeg[]) => (path: readonly PathSeg[]) => {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn([...base, ...path.slice(0, n)], true) as YamlNode | undefined;
        const line = lineAt(lc, node?.range?.[0]);
        if (line !== undefined) return line;
      }
      return undefined;
    };
    const push = (v: unknown, base: PathSeg[], item?: number) => {
      const line = lineOf(base)([]) ?? startLine;
      const itemRange = (doc.getIn(base, true) as YamlNode | undefined)?.range;
      const itemBytes = itemRange ? utf8Length(text.slice(itemRange[0], itemRange[2])) : 0;
      if (itemBytes > MAX_DOCUMENT_BYTES) {
        const p = problem('HVS-MANIFEST-DOCUMENT-TOO-LARGE', [], undefined, { subject: 'the item', what: `is ${itemBytes} bytes, more than 1 MiB` });
        problems.push(located(p, at(file, index, line, item)));
        return;
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        problems.push(located(problem('HVS-DOCUMENT-NOT-OBJECT', [], undefined, { subject: 'the document' }), at(file, index, line, item)));
        return;
      }
      documents.push({ doc: v, file, index, line, lineOf: lineOf(base), ...(item !== undefined ? { item } : {}) });
    };
    if (Array.isArray(value)) {
      value.forEach((v, j) => push(v, [j], j + 1));
    } else if (value !== null && typeof value === 'object' && (value as Record<string, unknown>).kind === 'List') {
      const items = Object.prototype.hasOwnProperty.call(value, 'items') ? (value as Record<string, unknown>).items : undefined;
      if (!Array.isArray(items)) {
        problems.push(located(problem('HVS-MANIFEST-LIST-INVALID', [], undefined, { subject: 'the List' }), where));
        return;
      }
      items.forEach((v, j) => push(v, ['items', j], j + 1));
    } else {
      push(value, []);
    }
  });
  return problems.length > 0 ? { ok: false, problems, documents } : { ok: true, documents };
}
