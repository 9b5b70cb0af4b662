import fc from 'fast-check';
import { formatProblem } from '../../src/errors';
import { isName, NAME_RE, suggestName } from '../../src/formats';
import { validateResource } from '../../src/validation';

const nameChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.A '.split(''));

describe('name validator (property)', () => {
  it('never throws for any value', () => {
    fc.assert(fc.property(fc.anything({ maxDepth: 2 }), (v) => typeof isName(v) === 'boolean'), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => typeof isName(s) === 'boolean'), { numRuns: 500 });
  });

  it('accepts exactly the strings the DNS-label regex accepts, none over 63 characters', () => {
    const check = (s: string) => {
      const accepted = isName(s);
      expect(accepted).toBe(NAME_RE.test(s));
      if (accepted) expect(s.length).toBeLessThanOrEqual(63);
    };
    fc.assert(fc.property(fc.string({ maxLength: 80 }), check), { numRuns: 1000 });
    // Strings built from the name alphabet hit the accepting region often.
    fc.assert(fc.property(fc.array(nameChars, { minLength: 0, maxLength: 70 }).map((a) => a.join('')), check), { numRuns: 2000 });
  });

  it('every accepted name round-trips through a resource unchanged', () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    fc.assert(
      fc.property(label, (name) => {
        expect(isName(name)).toBe(true);
        const r = validateResource({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name }, spec: { mode: 'nat' } });
        expect(r.ok && r.value.metadata.name).toBe(name);
        expect(suggestName(name)).toBe(name);
      }),
      { numRuns: 1000 },
    );
  });

  it('the suggested fix is always a valid name', () => {
    fc.assert(fc.property(fc.string({ maxLength: 100 }), (s) => isName(suggestName(s))), { numRuns: 2000 });
  });
});

describe('validateResource (property)', () => {
  it('never throws for arbitrary JSON, and a refusal always carries code, message and fix', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const r = validateResource(v);
        if (!r.ok) for (const p of r.problems) expect(p.code && p.message && p.fix && formatProblem(p)).toBeTruthy();
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws for VM-shaped documents with arbitrary field values', () => {
    const anyVal = fc.jsonValue({ maxDepth: 3 });
    const doc = fc.record(
      {
        apiVersion: fc.constantFrom('hvs/v1', 'v1'),
        kind: fc.constantFrom('VirtualMachine', 'Network', 'Image', 'BackupPolicy', 'FirewallPolicy', 'StoragePool'),
        metadata: fc.record({ name: fc.oneof(fc.string(), anyVal), labels: fc.dictionary(fc.string(), fc.string()) }, { requiredKeys: [] }),
        spec: fc.record(
          {
            cpu: fc.oneof(anyVal, fc.record({ cores: anyVal, pinning: anyVal, numa: fc.record({ cells: fc.array(fc.record({ id: anyVal, cpus: anyVal, memory: anyVal })) }) })),
            memory: fc.oneof(anyVal, fc.record({ size: fc.oneof(fc.string(), anyVal), hugepages: anyVal })),
            disks: fc.array(fc.dictionary(fc.constantFrom('name', 'size', 'path', 'image', 'boot', 'bus', '__proto__'), anyVal)),
            networks: fc.oneof(anyVal, fc.array(fc.dictionary(fc.constantFrom('name', 'network', 'mac'), anyVal))),
            mode: anyVal,
            subnet: anyVal,
            dhcp: anyVal,
            rules: anyVal,
            schedule: fc.oneof(fc.string(), anyVal),
            retention: anyVal,
            target: anyVal,
            source: anyVal,
            type: anyVal,
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(doc, (d) => {
        const r = validateResource(JSON.parse(JSON.stringify(d)));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 400 },
    );
  });
});
