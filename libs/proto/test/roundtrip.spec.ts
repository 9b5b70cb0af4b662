import fc from 'fast-check';
import { HvsError, KINDS } from '@hvs/domain';
import { fromProtoMeta, fromProtoObject, toProtoMeta, toProtoObject, v1, type UnvalidatedResource } from '@hvs/proto';
import { SAMPLES } from './samples';

/** domain -> proto message -> wire bytes -> proto message -> domain */
function throughWire(r: UnvalidatedResource): UnvalidatedResource {
  const bytes = v1.ApiObject.encode(toProtoObject(r)).finish();
  return fromProtoObject(v1.ApiObject.decode(bytes));
}

describe('object envelope round trip', () => {
  it('covers every kind', () => {
    expect(new Set(SAMPLES.map((s) => s.kind)).size).toBe(Object.keys(KINDS).length);
  });

  it.each(SAMPLES.map((s) => [s.kind, s] as const))('%s: a schema-valid object survives domain -> bytes -> domain unchanged', (kind, sample) => {
    const parsed = KINDS[kind].schema.safeParse(sample);
    expect(parsed.error?.issues).toBeUndefined();
    const domain = parsed.data as UnvalidatedResource;
    expect(throughWire(domain)).toStrictEqual(domain);
    expect(KINDS[kind].schema.safeParse(throughWire(domain)).success).toBe(true);
  });

  it('keeps an absent status absent and a present empty one present', () => {
    const { status: _s, ...noStatus } = SAMPLES[2];
    expect(throughWire(noStatus as UnvalidatedResource)).not.toHaveProperty('status');
    expect(throughWire({ ...noStatus, status: {} } as UnvalidatedResource).status).toStrictEqual({});
  });

  const labelKey = fc.stringMatching(/^[a-z0-9]([-a-z0-9./]{0,20}[a-z0-9])?$/);
  const text = fc.string({ unit: 'grapheme', maxLength: 40 });
  const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const nonEmptyRecord = (v: fc.Arbitrary<string>) => optional(fc.dictionary(labelKey, v, { minKeys: 1, maxKeys: 6, noNullPrototype: true }));
  const metaArb = fc.record({
    name: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/),
    uid: optional(fc.uuid()),
    labels: nonEmptyRecord(text),
    annotations: nonEmptyRecord(fc.string({ unit: 'grapheme', maxLength: 200 })),
    generation: optional(fc.maxSafeNat()),
    resourceVersion: optional(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String)),
    creationTimestamp: optional(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    deletionTimestamp: optional(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    finalizers: optional(fc.array(labelKey, { minLength: 1, maxLength: 4 })),
  }, { requiredKeys: ['name'], noNullPrototype: true })
    // Canonical form, as zod produces it: an absent optional is a missing key, not `key: undefined`.
    .map((m) => JSON.parse(JSON.stringify(m)) as typeof m);

  it('metadata: any canonical meta survives the wire (property)', () => {
    fc.assert(fc.property(metaArb, (meta) => {
      const decoded = fromProtoMeta(v1.ObjectMeta.decode(v1.ObjectMeta.encode(toProtoMeta(meta)).finish()));
      expect(decoded).toStrictEqual(meta);
    }), { numRuns: 300 });
  });

  const jsonObject = fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8, noNullPrototype: true });
  const kindArb = fc.constantFrom(...new Set(SAMPLES.map((s) => s.kind)));

  it('any kind with arbitrary JSON spec and status survives the wire (property)', () => {
    fc.assert(fc.property(kindArb, metaArb, jsonObject, optional(jsonObject), (kind, metadata, spec, status) => {
      const r: UnvalidatedResource = { apiVersion: 'hvs/v1', kind, metadata, spec, ...(status === undefined ? {} : { status }) };
      // JSON is the reference: whatever JSON.stringify/parse keeps, the envelope keeps.
      expect(throughWire(r)).toStrictEqual(JSON.parse(JSON.stringify(r)));
    }), { numRuns: 300 });
  });
});

describe('fromProtoObject refuses a broken envelope with a clear error', () => {
  const good = toProtoObject(SAMPLES[0]);
  const cases: [string, v1.ApiObject, string][] = [
    ['wrong apiVersion', { ...good, apiVersion: 'hvs/v2' }, 'HVS-PROTO-APIVERSION-UNSUPPORTED'],
    ['unknown kind', { ...good, kind: 'VirtualMachines' }, 'HVS-PROTO-KIND-UNKNOWN'],
    ['missing metadata', { ...good, metadata: undefined }, 'HVS-PROTO-METADATA-MISSING'],
    ['spec not JSON', { ...good, specJson: '{"cpu":' }, 'HVS-PROTO-JSON-INVALID'],
    ['spec an array', { ...good, specJson: '[1]' }, 'HVS-PROTO-JSON-INVALID'],
    ['status null', { ...good, statusJson: 'null' }, 'HVS-PROTO-JSON-INVALID'],
  ];
  it.each(cases)('%s', (_name, msg, code) => {
    let caught: unknown;
    try {
      fromProtoObject(msg);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HvsError);
    const err = caught as HvsError;
    expect(err.code).toBe(code);
    expect(err.category).toBe('InvalidArgument');
    expect(err.fix.length).toBeGreaterThan(0);
    expect(err.message).toContain('VirtualMachine');
  });
});
