import { FakeClock, SystemClock } from '../src/clock';

describe('FakeClock', () => {
  it('fires due timers in due order, ties in creation order, and sets now() to each due time', async () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 31);
    await clock.advance(30);
    expect(fired).toEqual(['a@1010', 'b@1010', 'c@1030']);
    expect(clock.now()).toBe(1030);
    expect(clock.pending()).toBe(1);
    await clock.advance(1);
    expect(fired).toEqual(['a@1010', 'b@1010', 'c@1030', 'late@1031']);
  });

  it('runs promise chains between timers so a timer set by awaiting code fires in the same advance', async () => {
    const clock = new FakeClock();
    const ticks: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        await Promise.resolve();
        ticks.push(clock.now());
      }
    })();
    await clock.advance(300);
    await loop;
    expect(ticks).toEqual([100, 200, 300]);
  });

  it('clearTimeout cancels; clearing twice or an unknown handle is harmless', async () => {
    const clock = new FakeClock();
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 5);
    clock.clearTimeout(h);
    clock.clearTimeout(h);
    clock.clearTimeout('nope');
    await clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('sleep rejects with the abort reason and leaves no timer behind', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pending()).toBe(0);
    await expect(clock.sleep(1, ac.signal)).rejects.toThrow('stop');
  });

  it('refuses to go backwards', async () => {
    await expect(new FakeClock().advance(-1)).rejects.toThrow(RangeError);
  });
});

describe('SystemClock', () => {
  it('now() follows Date.now and clearTimeout cancels a real timer (no wall-clock assertion)', async () => {
    const clock = new SystemClock();
    const before = Date.now();
    expect(clock.now()).toBeGreaterThanOrEqual(before);
    await clock.sleep(0);
    let fired = false;
    clock.clearTimeout(clock.setTimeout(() => (fired = true), 0));
    await clock.sleep(0);
    expect(fired).toBe(false);
  });
});
