import fc from 'fast-check';
import { HvsError } from '../../src/errors';
import {
  formatLabelSelector, matchesLabelSelector, parseLabelSelector, selectorFromMap, toLabelSelector,
  type LabelRequirement, type LabelSelector,
} from '../../src/labels';

const labels = { app: 'web', tier: 'front', zone: 'a', 'hvs.io/pool': 'fast' };
const matches = (text: string, l: Record<string, string> | undefined = labels) => matchesLabelSelector(parseLabelSelector(text), l);

describe('parseLabelSelector', () => {
  it('parses every requirement form', () => {
    expect(parseLabelSelector('a=b, c!=d,e in (y, x),f notin (z),g,!h,i==j').requirements).toEqual([
      { key: 'a', operator: 'Equals', values: ['b'] },
      { key: 'c', operator: 'NotEquals', values: ['d'] },
      { key: 'e', operator: 'In', values: ['x', 'y'] },
      { key: 'f', operator: 'NotIn', values: ['z'] },
      { key: 'g', operator: 'Exists', values: [] },
      { key: 'h', operator: 'DoesNotExist', values: [] },
      { key: 'i', operator: 'Equals', values: ['j'] },
    ]);
  });

  it('treats the empty and blank selector as select-all', () => {
    expect(parseLabelSelector('').requirements).toEqual([]);
    expect(parseLabelSelector('  ').requirements).toEqual([]);
    expect(matchesLabelSelector(toLabelSelector(undefined), undefined)).toBe(true);
  });

  it.each([
    ['a=b,', 'expected a label key'],
    ['a b', 'expected =, ==, !=, in or notin'],
    ['a in x', 'expected "("'],
    ['a in (x', 'expected "," or ")"'],
    ['-a=b', 'not a valid label key'],
    ['a=b c', 'expected "," between requirements'],
    ['a=-x', 'not a valid label value'],
    ['!', 'expected a label key'],
  ])('rejects %j with a positioned HVS-LABEL-SELECTOR-INVALID', (text, why) => {
    let err: unknown;
    try {
      parseLabelSelector(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HvsError);
    const h = err as HvsError;
    expect(h.code).toBe('HVS-LABEL-SELECTOR-INVALID');
    expect(h.category).toBe('InvalidArgument');
    expect(h.message).toContain(why);
    expect(h.message).toMatch(/position \d+/);
    expect(h.fix).toMatch(/app=web/);
  });
});

describe('matchesLabelSelector', () => {
  it.each([
    ['app=web', true], ['app=db', false], ['app!=db', true], ['app!=web', false], ['missing!=x', true],
    ['zone in (a,b)', true], ['zone in (b)', false], ['missing in (a)', false],
    ['zone notin (b)', true], ['zone notin (a)', false], ['missing notin (a)', true],
    ['tier', true], ['missing', false], ['!missing', true], ['!tier', false],
    ['hvs.io/pool=fast,app=web', true], ['app=web,tier=back', false],
  ])('%s -> %s', (text, expected) => {
    expect(matches(text)).toBe(expected);
  });

  it('does not see inherited object properties as labels', () => {
    expect(matches('constructor')).toBe(false);
    expect(matches('!toString', {})).toBe(true);
  });

  it('selectorFromMap matches exactly the maps that contain it', () => {
    expect(matchesLabelSelector(selectorFromMap({ app: 'web', zone: 'a' }), labels)).toBe(true);
    expect(matchesLabelSelector(selectorFromMap({ app: 'web', zone: 'b' }), labels)).toBe(false);
  });
});

describe('label selector properties', () => {
  const key: fc.Arbitrary<string> = fc.constantFrom('app', 'tier', 'zone', 'hvs.io/pool', 'k8s');
  const value: fc.Arbitrary<string> = fc.constantFrom('a', 'b', 'web', 'x-1', 'v.2');
  const requirement: fc.Arbitrary<LabelRequirement> = fc.oneof(
    fc.record({ key, operator: fc.constantFrom('Equals' as const, 'NotEquals' as const), values: value.map((v) => [v]) }),
    fc.record({ key, operator: fc.constantFrom('In' as const, 'NotIn' as const),
      values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }).map((v) => [...v].sort()) }),
    fc.record({ key, operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const), values: fc.constant<string[]>([]) }),
  );
  const selector: fc.Arbitrary<LabelSelector> = fc.array(requirement, { maxLength: 5 }).map((requirements) => ({ requirements }));
  const labelMap = fc.dictionary(key, value, { maxKeys: 5 });

  it('format then parse gives the same selector', () => {
    fc.assert(fc.property(selector, (s) => {
      expect(parseLabelSelector(formatLabelSelector(s))).toEqual(s);
    }));
  });

  it('a selector is the AND of its requirements', () => {
    fc.assert(fc.property(selector, labelMap, (s, l) => {
      const each = s.requirements.every((r) => matchesLabelSelector({ requirements: [r] }, l));
      expect(matchesLabelSelector(s, l)).toBe(each);
    }));
  });

  it('negated operators are exact complements', () => {
    const flip = { Equals: 'NotEquals', NotEquals: 'Equals', In: 'NotIn', NotIn: 'In', Exists: 'DoesNotExist', DoesNotExist: 'Exists' } as const;
    fc.assert(fc.property(requirement, labelMap, (r, l) => {
      const negated = { ...r, operator: flip[r.operator] };
      expect(matchesLabelSelector({ requirements: [negated] }, l)).toBe(!matchesLabelSelector({ requirements: [r] }, l));
    }));
  });

  it('never throws anything but HvsError on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => {
      try {
        parseLabelSelector(text);
      } catch (e) {
        expect(e).toBeInstanceOf(HvsError);
      }
    }));
  });
});
