// commands/kinds.ts mirrors the names of @hvs/domain's KINDS (to start without zod): they must not drift.
import { KINDS, resolveKind, type KindName } from '@hvs/domain';
import { KIND_WORDS, kindArg, resolveKindWord } from '../src/commands/kinds';

describe('hvctl kind names', () => {
  it('are the plural and short names of every kind in @hvs/domain, and no other', () => {
    const fromDomain = Object.fromEntries(Object.values(KINDS).map((k) => [k.kind, { plural: k.plural, shortNames: [...k.shortNames] }]));
    const mine = Object.fromEntries(Object.entries(KIND_WORDS).map(([k, w]) => [k, { plural: w.plural, shortNames: [...w.shortNames] }]));
    expect(mine).toEqual(fromDomain);
  });

  it('resolve every word as resolveKind does', () => {
    const words = Object.values(KINDS).flatMap((k) => [k.kind, k.kind.toUpperCase(), k.plural, ...k.shortNames]);
    for (const w of [...words, 'wombats', '', 'vm/']) expect(resolveKindWord(w)).toBe(resolveKind(w));
    expect(kindArg('VMs')).toBe<KindName>('VirtualMachine');
    expect(() => kindArg('wombats')).toThrow(/"wombats" is not a kind/);
  });
});
