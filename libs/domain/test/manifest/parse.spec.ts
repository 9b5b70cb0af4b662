import { formatProblem } from '../../src/errors';
import { flowDepth, loadManifests, MAX_INPUT_BYTES, parseManifests } from '../../src/manifest';

const NET = (name: string) => `apiVersion: hvs/v1\nkind: Network\nmetadata:\n  name: ${name}\nspec:\n  mode: nat\n`;

function codesOf(text: string, file = 'x.yaml'): string[] {
  const r = loadManifests([{ text, fileName: file }]);
  return r.ok ? [] : r.problems.map((p) => p.code);
}

describe('parseManifests', () => {
  it('splits multi-document YAML, skips empty documents, keeps document numbers and lines', () => {
    const r = parseManifests(`---\n${NET('a')}---\n---\n# just a comment\n---\n${NET('b')}`, 'nets.yaml');
    expect(r.ok).toBe(true);
    expect(r.documents.map((d) => [d.index, d.line, (d.doc as { metadata: { name: string } }).metadata.name])).toEqual([
      [1, 2, 'a'],
      [4, 12, 'b'],
    ]);
  });

  it('reads JSON objects, arrays and Lists', () => {
    const a = { apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'a' }, spec: { mode: 'nat' } };
    const b = { ...a, metadata: { name: 'b' } };
    expect(parseManifests(JSON.stringify(a), 'a.json').documents).toHaveLength(1);
    const arr = parseManifests(JSON.stringify([a, b], null, 2), 'ab.json');
    expect(arr.documents.map((d) => [d.index, d.item])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    const list = parseManifests(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [a, b] }), 'l.json');
    expect(list.ok && list.documents.length).toBe(2);
  });

  it('points problems at the line of the field itself', () => {
    const text = `${NET('a')}---\napiVersion: hvs/v1\nkind: Network\nmetadata:\n  name: b\nspec:\n  mode: nat\n  vlan: 5000\n`;
    const r = loadManifests([{ text, fileName: 'nets.yaml' }]);
    if (r.ok) throw new Error('accepted');
    expect(formatProblem(r.problems[0]!)).toMatch(/^HVS-NET-VLAN-INVALID: nets\.yaml: document 2 \(line 14\): spec\.vlan: 5000 is not a valid VLAN id/);
  });

  it('refuses duplicate keys in JSON too', () => {
    expect(codesOf('{"apiVersion":"hvs/v1","apiVersion":"hvs/v1"}', 'd.json')).toEqual(['HVS-MANIFEST-DUPLICATE-KEY']);
  });

  it('refuses inputs over 8 MiB before parsing, counting UTF-8 bytes', () => {
    const big = `# ${'x'.repeat(MAX_INPUT_BYTES)}\n`;
    expect(codesOf(big)).toEqual(['HVS-MANIFEST-TOO-LARGE']);
    // 3 MiB characters of 3-byte UTF-8 = 9 MiB.
    expect(codesOf(`# ${'€'.repeat(3 * 1024 * 1024)}\n`)).toEqual(['HVS-MANIFEST-TOO-LARGE']);
  });

  it('allows a few aliases but refuses many, before expanding them', () => {
    const few = `${NET('a')}metadata2: &m {x: 1}\n`.replace('metadata2: &m {x: 1}\n', '');
    expect(parseManifests(few, 'f.yaml').ok).toBe(true);
    const anchors = `x: &a [1]\n${Array.from({ length: 101 }, (_, i) => `k${i}: *a`).join('\n')}\n`;
    expect(codesOf(anchors)).toEqual(['HVS-MANIFEST-ALIAS-LIMIT']);
    const aliased = `apiVersion: hvs/v1\nkind: Network\nmetadata:\n  name: a\n  labels: &l {app: web}\n  annotations: *l\nspec:\n  mode: nat\n`;
    expect(loadManifests([{ text: aliased, fileName: 'a.yaml' }]).ok).toBe(true);
  });

  it('refuses YAML tags beyond plain types', () => {
    expect(codesOf(`${NET('a')}x: !!binary aGk=\n`)).toEqual(['HVS-MANIFEST-TAG-UNSUPPORTED']);
    expect(codesOf(`${NET('a')}x: !custom 1\n`)).toEqual(['HVS-MANIFEST-TAG-UNSUPPORTED']);
    expect(codesOf(`${NET('a')}`.replace('mode: nat', 'mode: !!str nat'))).toEqual([]);
  });

  it('refuses non-object documents and invalid Lists', () => {
    expect(codesOf('- 1\n- two\n')).toEqual(['HVS-DOCUMENT-NOT-OBJECT', 'HVS-DOCUMENT-NOT-OBJECT']);
    expect(codesOf('42\n')).toEqual(['HVS-DOCUMENT-NOT-OBJECT']);
    expect(codesOf('kind: List\nitems: 3\n')).toEqual(['HVS-MANIFEST-LIST-INVALID']);
  });

  it('measures bracket depth outside strings and comments', () => {
    expect(flowDepth('a: [1, {b: [2]}]')).toBe(3);
    expect(flowDepth('a: "[[[[" # [[[[\nb: \'{{\'')).toBe(0);
    expect(codesOf(`a: ${'['.repeat(100)}${']'.repeat(100)}\n`)).toEqual(['HVS-DOCUMENT-TOO-DEEP']);
  });

  it('never throws on garbage', () => {
    for (const t of ['\0\0\0', '{', ']', '%YAML 9.9\n---\na: 1', '? [a, b]\n: c\n', '&a a: *a', '*a', '\uFEFF{"a":1}', 'a: "\\xZZ"']) {
      expect(() => loadManifests([{ text: t, fileName: 'g.yaml' }])).not.toThrow();
    }
  });
});

describe('document size limit', () => {
  const doc = (fill: number) => `apiVersion: hvs/v1\nkind: Network\nmetadata:\n  name: a\n  annotations:\n    note: "${'x'.repeat(fill)}"\nspec:\n  mode: nat\n`;
  it('refuses a document over 1 MiB by scanning, and names its first line', () => {
    const text = `${doc(10)}---\n${doc(1024 * 1024 + 1)}`;
    const r = parseManifests(text, 'big.yaml');
    if (r.ok) throw new Error('accepted');
    expect(r.problems.map((p) => p.code)).toEqual(['HVS-MANIFEST-DOCUMENT-TOO-LARGE']);
    expect(r.problems[0]!.message).toMatch(/^the document starting at line 9 is \d+ bytes, more than 1 MiB$/);
  });
  it('accepts several documents that are each under 1 MiB', () => {
    const text = [doc(600 * 1024), doc(600 * 1024)].map((d, i) => d.replace('name: a', `name: a${i}`)).join('---\n');
    const r = parseManifests(text, 'ok.yaml');
    expect(r.ok && r.documents.length).toBe(2);
  });
  const item = (name: string, fill: number) => ({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name, annotations: { n: 'x'.repeat(fill) } }, spec: { mode: 'nat' } });
  it('refuses one oversized item of a JSON array or List, and names the item', () => {
    const r = parseManifests(JSON.stringify([item('a', 10), item('b', 1024 * 1024 + 10)], null, 1), 'arr.json');
    if (r.ok) throw new Error('accepted');
    expect(r.problems.map((p) => [p.code, p.path])).toEqual([['HVS-MANIFEST-DOCUMENT-TOO-LARGE', 'arr.json: document 1 item 2 (line 15)']]);
    expect(r.documents).toHaveLength(1);
    const list = parseManifests(JSON.stringify({ kind: 'List', items: [item('b', 1024 * 1024 + 10)] }), 'list.json');
    expect(list.ok).toBe(false);
  });
  it('accepts a JSON array over 1 MiB made of small items', () => {
    const r = parseManifests(JSON.stringify([item('a', 600 * 1024), item('b', 600 * 1024)]), 'arr.json');
    expect(r.ok && r.documents.length).toBe(2);
  });
});
