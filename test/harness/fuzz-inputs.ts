/**
 * fast-check arbitraries for what users and attackers feed the API and the CLI: manifests that
 * look valid, the same mutated, and hostile text (deep nesting, alias bombs, odd YAML tags, huge
 * documents, random Unicode). Shared by the REST, gRPC and CLI fuzz suites so all three see the
 * same inputs. Sizes stay modest except in `hostileText`, which reaches past the 1 MiB limits.
 */
import fc from 'fast-check';

export const KINDS = ['VirtualMachine', 'vm', 'vms', 'virtualmachines', 'Network', 'networks', 'Node', 'nodes', 'Migration', 'Audit', 'Event', 'List', 'Secret', 'StoragePool'] as const;

/** Names that pass as DNS labels, with a few that do not. */
export const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/) },
  { weight: 1, arbitrary: fc.constantFrom('', '-', 'A', 'a'.repeat(64), '..', '../etc', 'web_1', 'x.y', '%00', '\u0000', 'ü', ' ') },
);

/** Values a field might hold: right-looking, wrong-typed, or absurd. */
const scalarArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('512MiB', '10GiB', '1', 1, 0, -1, 2 ** 53, 1e308, 'lots', true, null, '', 'Running', 'Stopped', 'nat', '10.10.0.0/24', '0.0.0.0/0'),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
);

interface ManifestShape {
  apiVersion: unknown;
  kind: unknown;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
}

/** A VirtualMachine or Network manifest as an object, valid unless a field happens to be changed. */
export const manifestObjectArb: fc.Arbitrary<ManifestShape> = fc.record({
  name: nameArb,
  kind: fc.constantFrom('VirtualMachine', 'Network'),
  cores: fc.integer({ min: 1, max: 4 }),
  memory: fc.constantFrom('512MiB', '1GiB'),
  app: fc.constantFrom('web', 'db'),
}).map(({ name, kind, cores, memory, app }) => ({
  apiVersion: 'hvs/v1', kind, metadata: { name, labels: { app } },
  spec: kind === 'Network'
    ? { mode: 'nat', subnet: '10.10.0.0/24' }
    : { cpu: { cores }, memory: { size: memory }, disks: [{ name: 'os', size: '10GiB' }], networks: [{ name: 'eth0', network: 'lan' }], runState: 'Stopped' },
}));

/** Sets one random (possibly new) field of a manifest to a random value. */
const mutatedObjectArb: fc.Arbitrary<unknown> = fc.tuple(manifestObjectArb, fc.constantFrom('apiVersion', 'kind', 'metadata', 'spec', 'metadata.name', 'metadata.labels', 'spec.cpu', 'spec.memory.size', 'spec.disks', 'spec.boot', 'spec.bogus', 'status'), fc.oneof(scalarArb, fc.jsonValue({ maxDepth: 3 })))
  .map(([m, field, value]) => {
    const copy = structuredClone(m) as unknown as Record<string, unknown>;
    const parts = field.split('.');
    let at = copy;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]!] = value;
    return copy;
  });

function yamlOf(v: unknown, indent = ''): string {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `\n${v.map((x) => `${indent}- ${yamlOf(x, `${indent}  `).trimStart()}`).join('\n')}`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    return entries.length === 0 ? '{}' : `\n${entries.map(([k, x]) => `${indent}${JSON.stringify(k)}: ${yamlOf(x, `${indent}  `)}`).join('\n')}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Manifest text as hvctl users write it: YAML (several documents) or JSON. */
export const manifestTextArb: fc.Arbitrary<string> = fc.array(fc.oneof(manifestObjectArb, mutatedObjectArb), { minLength: 1, maxLength: 3 })
  .chain((docs) => fc.constantFrom(
    docs.map((d) => yamlOf(d).trimStart()).join('\n---\n'),
    JSON.stringify(docs.length === 1 ? docs[0] : docs),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }),
  ));

/** Text edits: cut, duplicate, insert random characters, re-indent with tabs. */
const editedTextArb: fc.Arbitrary<string> = fc.tuple(manifestTextArb, fc.nat(), fc.nat({ max: 40 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('cut', 'insert', 'dup', 'tabs', 'bom'))
  .map(([t, at, len, ins, how]) => {
    const i = t.length === 0 ? 0 : at % t.length;
    switch (how) {
      case 'cut': return t.slice(0, i) + t.slice(i + len);
      case 'insert': return t.slice(0, i) + ins + t.slice(i);
      case 'dup': return t.slice(0, i + len) + t.slice(i);
      case 'tabs': return t.replace(/ {2}/g, '\t');
      default: return `\uFEFF${t}`;
    }
  });

function aliasBomb(levels: number, width: number): string {
  const lines = ['a0: &a0 ["x", "x"]'];
  for (let l = 1; l <= levels; l++) lines.push(`a${l}: &a${l} [${Array.from({ length: width }, () => `*a${l - 1}`).join(', ')}]`);
  return `apiVersion: hvs/v1\nkind: VirtualMachine\nmetadata: {name: bomb}\nspec:\n  ${lines.join('\n  ')}\n`;
}

/** Text built to hurt a parser: deep nesting, alias bombs, tags, huge documents, many documents. */
export const hostileTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 10, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 10, max: 5_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 10, max: 3_000 }).map((n) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}a:`).join('\n')),
  fc.integer({ min: 10, max: 3_000 }).map((n) => `${'- '.repeat(n)}x`),
  fc.tuple(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 2, max: 10 })).map(([l, w]) => aliasBomb(l, w)),
  fc.constantFrom(
    'a: !!python/object/apply:os.system ["id"]', 'a: !!binary aGVsbG8=', 'a: !custom x', '<<: *missing', 'a: &x 1\n<<: *x',
    '? [a, b]\n: c', 'a: 1\na: 2', '%YAML 1.1\n---\na: yes', '%TAG ! tag:x,2000:\n---\n!a b', '---\n...\n---\n...', '\u0000', '\uFEFF',
    'kind: List\nitems: 5', 'kind: List\nitems:\n- 1\n- [2]', '"\\ud800"', '{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {"x": 1}}}',
  ),
  // Just past the 1 MiB limits (bigger costs time and proves no more).
  fc.integer({ min: -64, max: 64 }).map((d) => `apiVersion: hvs/v1\nkind: VirtualMachine\nmetadata: {name: big}\nspec: {x: "${'y'.repeat(1024 * 1024 + d)}"}\n`),
  fc.integer({ min: 100, max: 500 }).map((n) => '---\na: 1\n'.repeat(n)),
);

/** Anything a manifest reader may be handed. */
export const anyManifestTextArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: manifestTextArb },
  { weight: 3, arbitrary: editedTextArb },
  { weight: 2, arbitrary: hostileTextArb },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
);

/** Bytes that are not UTF-8 (lone continuation bytes, overlongs, surrogates) inside manifest-looking text. */
export const badUtf8Arb: fc.Arbitrary<Buffer> = fc.tuple(manifestTextArb, fc.nat(), fc.constantFrom([0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff, 0xfe], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]))
  .map(([t, at, bytes]) => {
    const b = Buffer.from(t, 'utf8');
    const i = b.length === 0 ? 0 : at % b.length;
    return Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i)]);
  });
