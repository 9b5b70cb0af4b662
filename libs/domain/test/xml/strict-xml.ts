/**
 * A deliberately strict, tiny XML parser for tests: it models what a conforming XML 1.0 parser
 * reports (attribute-value normalisation, line-end normalisation, the five predefined entities and
 * numeric character references) and throws on everything the renderer must never emit: CDATA,
 * comments, processing instructions, DOCTYPE, unknown entities, raw `<`/`&`, forbidden characters,
 * mismatched tags, duplicate attributes. xmllint is the second, independent opinion.
 */
export interface ParsedElement {
  name: string;
  attrs: Record<string, string>;
  children: (ParsedElement | string)[];
}

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseStrictXml(input: string): ParsedElement {
  if (FORBIDDEN.test(input)) throw new Error('forbidden character in document');
  // Line-end normalisation happens before parsing (XML 1.0 §2.11).
  const src = input.replace(/\r\n?/g, '\n');
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${pos}: ${JSON.stringify(src.slice(pos, pos + 30))}`);
  };
  const skipWs = () => {
    while (pos < src.length && ' \t\n'.includes(src[pos] as string)) pos++;
  };
  const name = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(src);
    if (!m) fail('expected a name');
    pos += (m as RegExpExecArray)[0].length;
    return (m as RegExpExecArray)[0];
  };
  const reference = (): string => {
    const end = src.indexOf(';', pos);
    if (end < 0) fail('unterminated reference');
    const body = src.slice(pos + 1, end);
    pos = end + 1;
    if (body in PREDEFINED) return PREDEFINED[body] as string;
    const num = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(body);
    if (!num) return fail(`unknown entity &${body};`);
    const cp = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2] as string, 10);
    const ch = String.fromCodePoint(cp);
    if (FORBIDDEN.test(ch) || (cp >= 0xd800 && cp <= 0xdfff)) fail('reference to a forbidden character');
    return ch;
  };
  const element = (): ParsedElement => {
    if (src[pos] !== '<') fail('expected <');
    pos++;
    if ('!?/'.includes(src[pos] as string)) fail('CDATA, comments, PIs and DOCTYPE are not allowed');
    const el: ParsedElement = { name: name(), attrs: {}, children: [] };
    for (;;) {
      const before = pos;
      skipWs();
      if (src.startsWith('/>', pos)) {
        pos += 2;
        return el;
      }
      if (src[pos] === '>') {
        pos++;
        break;
      }
      if (pos === before) fail('expected whitespace before an attribute');
      const key = name();
      if (key in el.attrs) fail(`duplicate attribute ${key}`);
      skipWs();
      if (src[pos] !== '=') fail('expected =');
      pos++;
      skipWs();
      const quote = src[pos];
      if (quote !== '"' && quote !== "'") return fail('expected a quote');
      pos++;
      let value = '';
      while (src[pos] !== quote) {
        const c = src[pos];
        if (c === undefined) fail('unterminated attribute');
        if (c === '<') fail('raw < in attribute');
        if (c === '&') value += reference();
        else {
          value += c === '\t' || c === '\n' ? ' ' : c; // attribute-value normalisation (CDATA type)
          pos++;
        }
      }
      pos++;
      el.attrs[key] = value;
    }
    let textBuf = '';
    const flush = () => {
      if (textBuf !== '') el.children.push(textBuf);
      textBuf = '';
    };
    for (;;) {
      const c = src[pos];
      if (c === undefined) fail(`unclosed <${el.name}>`);
      if (c === '<') {
        if (src[pos + 1] === '/') {
          pos += 2;
          if (name() !== el.name) fail(`mismatched </...> for <${el.name}>`);
          skipWs();
          if (src[pos] !== '>') fail('expected >');
          pos++;
          flush();
          return el;
        }
        flush();
        el.children.push(element());
      } else if (c === '&') {
        textBuf += reference();
      } else {
        if (c === '>' && src.startsWith(']]>', pos - 2)) fail(']]> in text');
        textBuf += c;
        pos++;
      }
    }
  };
  skipWs();
  const root = element();
  skipWs();
  if (pos !== src.length) fail('content after the root element');
  return root;
}

/** Text content of an element (concatenated text children), like XPath string() on a leaf. */
export function textOf(el: ParsedElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/** Every descendant element named `name` in document order. */
export function findAll(el: ParsedElement, name: string): ParsedElement[] {
  const out: ParsedElement[] = [];
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    if (c.name === name) out.push(c);
    out.push(...findAll(c, name));
  }
  return out;
}
