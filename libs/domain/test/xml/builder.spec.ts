import { escapeXmlAttr, escapeXmlText, HvsError, serializeXml, xmlElement as el, xmlText } from '@hvs/domain';

describe('XML builder', () => {
  it('pretty-prints with a 2-space indent, self-closes empty elements, keeps text inline', () => {
    const doc = el('a', { x: 1, skip: undefined, none: null, on: true, off: false },
      el('b', {}, 'text'),
      el('c', {}, el('d')),
      undefined, false, [el('e'), [el('f')]]);
    expect(serializeXml(doc)).toBe(
      "<a x='1' on='yes' off='no'>\n" +
      '  <b>text</b>\n' +
      '  <c>\n' +
      '    <d/>\n' +
      '  </c>\n' +
      '  <e/>\n' +
      '  <f/>\n' +
      '</a>\n');
  });

  it('escapes every markup character in attributes, including whitespace that parsers would normalise', () => {
    expect(escapeXmlAttr(`&<>"'\t\n\r x`)).toBe('&amp;&lt;&gt;&quot;&apos;&#9;&#10;&#13; x');
    expect(serializeXml(el('a', { v: `'/><b x='` }))).toBe("<a v='&apos;/&gt;&lt;b x=&apos;'/>\n");
  });

  it('escapes text so that ]]> and CR cannot survive literally, and writes no CDATA', () => {
    expect(escapeXmlText('a]]>b&c<d\re\nf\t')).toBe('a]]&gt;b&amp;c&lt;d&#13;e\nf\t');
    const out = serializeXml(el('a', {}, '<![CDATA[x]]>'));
    expect(out).toBe('<a>&lt;![CDATA[x]]&gt;</a>\n');
  });

  it('writes mixed content inline so text is not padded with indentation', () => {
    expect(serializeXml(el('a', {}, 'x', el('b', { k: 'v' }, 'y'), xmlText('z')))).toBe("<a>x<b k='v'>y</b>z</a>\n");
  });

  it('passes unicode through unchanged (astral characters, C1 and line separators are legal XML)', () => {
    const s = 'ünï 日本 🚀 \u0085\u2028';
    expect(serializeXml(el('a', { v: s }, s))).toBe(`<a v='${s}'>${s}</a>\n`);
  });

  it.each([['\u0000'], ['\u0007'], ['\u001f'], ['\uFFFE'], ['\uFFFF'], ['\uD83D'], ['\uDE80']])(
    'rejects %j (not an XML character) with HVS-XML-CHAR-INVALID instead of dropping it', (bad) => {
      for (const make of [() => el('a', { v: `ok${bad}` }), () => el('a', {}, `ok${bad}`)]) {
        let err: unknown;
        try {
          serializeXml(make());
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(HvsError);
        expect((err as HvsError).code).toBe('HVS-XML-CHAR-INVALID');
        expect((err as HvsError).message).toContain('index 2');
      }
    });

  it.each([['1a'], ['a b'], ['a>'], ["a'"], [''], ['a:b:c']])('refuses %j as an element or attribute name (programming error)', (name) => {
    expect(() => el(name)).toThrow(expect.objectContaining({ code: 'HVS-XML-NAME-INVALID' }));
    expect(() => el('ok', { [name]: 'v' })).toThrow(expect.objectContaining({ code: 'HVS-XML-NAME-INVALID' }));
  });

  it('accepts a namespace-prefixed name', () => {
    expect(serializeXml(el('hvs:vm', { 'xmlns:hvs': 'urn:x' }))).toBe("<hvs:vm xmlns:hvs='urn:x'/>\n");
  });
});
