import { describeWhen } from './tiers';

/** Runs `f` with jest's `describe` swapped for a recorder (calling the real one inside a test is an error). */
function recorded(f: () => void): [string, string][] {
  const calls: [string, string][] = [];
  const g = globalThis as unknown as { describe: unknown };
  const real = g.describe;
  g.describe = Object.assign((title: string) => calls.push(['describe', title]), { skip: (title: string) => calls.push(['skip', title]) });
  try {
    f();
  } finally {
    g.describe = real;
  }
  return calls;
}

describe('describeWhen, the one place a test may be skipped', () => {
  it('describes when the condition holds, and otherwise skips for real with the reason in the title', () => {
    expect(recorded(() => {
      describeWhen(true, 'unused')('runs', () => undefined);
      describeWhen(false, 'HVS_TEST_QEMU is "0" [set by npm test]')('real QEMU', () => undefined);
    })).toEqual([['describe', 'runs'], ['skip', 'real QEMU [skipped: HVS_TEST_QEMU is "0" [set by npm test]]']]);
  });

  it('refuses a skip without a reason', () => {
    expect(() => describeWhen(false, '  ')).toThrow(/needs a reason/);
  });
});
