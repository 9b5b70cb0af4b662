/**
 * The one way XML leaves libs/domain: a tree of elements, attributes and text, serialised with
 * every value escaped. Nothing else in the code base may concatenate user values into XML.
 *
 * Guarantees of `serializeXml()`:
 * - attribute values are quoted with `'` and escape `& < > " '` plus tab, LF and CR (as character
 *   references, so attribute-value normalisation in the parser cannot turn them into spaces);
 * - text escapes `& < >` and CR (so line-end normalisation cannot turn it into LF); `]]>` therefore
 *   never appears literally. No CDATA sections are ever written;
 * - characters XML 1.0 cannot carry at all (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF, lone
 *   surrogates) are REJECTED with `HVS-XML-CHAR-INVALID`, never stripped: a silent change would break
 *   the guarantee that the parsed value equals the input;
 * - element and attribute names come from code, not users; they are still checked against a strict
 *   pattern so a programming error cannot produce malformed XML;
 * - output is pretty-printed with a 2-space indent; an element whose children include text is
 *   written on one line with no added whitespace, so text values round-trip exactly.
 */
import { HvsError } from '../errors';

export type XmlAttrValue = string | number | boolean | undefined | null;
export interface XmlText { readonly kind: 'text'; readonly value: string }
export interface XmlElement {
  readonly kind: 'element';
  readonly name: string;
  readonly attrs: ReadonlyArray<readonly [string, string]>;
  readonly children: ReadonlyArray<XmlNode>;
}
export type XmlNode = XmlElement | XmlText;
/** A child position accepts nodes, plain strings (text) and nothing (skipped, for optional parts). */
export type XmlChild = XmlNode | string | number | undefined | null | false | ReadonlyArray<XmlChild>;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*(:[A-Za-z_][A-Za-z0-9_.-]*)?$/;
// XML 1.0 Char production, negated: what may never appear in a document.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * An element. Attributes whose value is `undefined`/`null` are left out (optional fields);
 * booleans become `yes`/`no`, libvirt's spelling. Attribute order is the object's key order.
 */
export function el(name: string, attrs: Record<string, XmlAttrValue> = {}, ...children: XmlChild[]): XmlElement {
  checkName(name);
  const list: [string, string][] = [];
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    checkName(key);
    list.push([key, typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value)]);
  }
  return { kind: 'element', name, attrs: list, children: flatten(children) };
}

export function text(value: string | number): XmlText {
  return { kind: 'text', value: String(value) };
}

/** The document: an XML declaration-free rendering (libvirt takes none) ending in a newline. */
export function serializeXml(root: XmlElement): string {
  const out: string[] = [];
  write(root, 0, out, '');
  return out.join('');
}

export function escapeText(value: string, where = 'text'): string {
  checkChars(value, where);
  return value.replace(/[&<>\r]/g, (c) => ENTITIES[c] as string);
}

export function escapeAttr(value: string, where = 'attribute'): string {
  checkChars(value, where);
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ENTITIES[c] as string);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;',
};

function write(node: XmlElement, depth: number, out: string[], path: string): void {
  const here = `${path}/${node.name}`;
  const indent = '  '.repeat(depth);
  out.push(indent, '<', node.name);
  for (const [key, value] of node.attrs) out.push(' ', key, "='", escapeAttr(value, `${here}/@${key}`), "'");
  if (node.children.length === 0) {
    out.push('/>\n');
    return;
  }
  if (node.children.some((c) => c.kind === 'text')) {
    out.push('>');
    for (const child of node.children) writeInline(child, out, here);
    out.push('</', node.name, '>\n');
    return;
  }
  out.push('>\n');
  for (const child of node.children) write(child as XmlElement, depth + 1, out, here);
  out.push(indent, '</', node.name, '>\n');
}

function writeInline(node: XmlNode, out: string[], path: string): void {
  if (node.kind === 'text') {
    out.push(escapeText(node.value, `${path}/text()`));
    return;
  }
  const here = `${path}/${node.name}`;
  out.push('<', node.name);
  for (const [key, value] of node.attrs) out.push(' ', key, "='", escapeAttr(value, `${here}/@${key}`), "'");
  if (node.children.length === 0) {
    out.push('/>');
    return;
  }
  out.push('>');
  for (const child of node.children) writeInline(child, out, here);
  out.push('</', node.name, '>');
}

function flatten(children: ReadonlyArray<XmlChild>): XmlNode[] {
  const out: XmlNode[] = [];
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) out.push(...flatten(child));
    else if (typeof child === 'string' || typeof child === 'number') out.push(text(child));
    else out.push(child as XmlNode);
  }
  return out;
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new HvsError({
      code: 'HVS-XML-NAME-INVALID',
      category: 'Internal',
      message: `XML element or attribute name ${JSON.stringify(name)} is not a valid XML name`,
      why: 'names are written unescaped, so only plain ASCII XML names are allowed',
      fix: 'this is a bug in the renderer: report it with the VM manifest',
    });
  }
}

function checkChars(value: string, where: string): void {
  const m = FORBIDDEN.exec(value);
  if (!m) return;
  const code = (m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  throw new HvsError({
    code: 'HVS-XML-CHAR-INVALID',
    category: 'InvalidArgument',
    path: where,
    message: `value contains the character U+${code} at index ${m.index}, which XML cannot carry`,
    why: 'XML 1.0 forbids control characters other than tab, newline and carriage return, and unpaired surrogates; ' +
      'they are rejected rather than silently dropped so stored values always equal what was applied',
    fix: 'remove the control character from the field (labels, annotations, names and paths must be printable text)',
  });
}
