import { FakeClock } from '../src/clock';
import { WorkQueue } from '../src/work-queue';

function setup(backoff = { baseMs: 100, factor: 2, maxMs: 1000 }) {
  const clock = new FakeClock();
  return { clock, q: new WorkQueue<string>({ clock, backoff }) };
}

describe('WorkQueue', () => {
  it('dedupes: a key is queued once however often it is added, order of first add kept', async () => {
    const { q } = setup();
    for (const k of ['a', 'b', 'a', 'c', 'b', 'a']) q.add(k);
    expect(q.len()).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
    expect(q.len()).toBe(0);
  });

  it('does not hand out an in-flight key again; re-added while in flight it is queued once on done', async () => {
    const { q } = setup();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    expect(q.inFlight()).toBe(1);
    q.add('b');
    expect(await q.get()).toBe('b');
    q.done('a');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    q.done('b');
    expect(q.len()).toBe(0);
    expect(q.inFlight()).toBe(0);
  });

  it('get() waits for work and the waiter gets the key directly', async () => {
    const { q, clock } = setup();
    let got: string | undefined;
    const p = q.get().then((k) => (got = k));
    await clock.flush();
    expect(got).toBeUndefined();
    q.add('x');
    await p;
    expect(got).toBe('x');
    expect(q.inFlight()).toBe(1);
    expect(q.len()).toBe(0);
  });

  it('done() of a key not in flight is ignored', () => {
    const { q } = setup();
    q.add('a');
    q.done('a');
    expect(q.len()).toBe(1);
  });

  it('addAfter queues exactly at the due time; the earlier of two delays wins', async () => {
    const { q, clock } = setup();
    q.addAfter('a', 500);
    q.addAfter('a', 200);
    q.addAfter('a', 900);
    expect(q.delayedLen()).toBe(1);
    await clock.advance(199);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    await clock.advance(1000);
    expect(q.len()).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('addAfter with 0 or a negative delay adds now; a delayed key already queued stays queued once', async () => {
    const { q, clock } = setup();
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    expect(q.len()).toBe(2);
    q.addAfter('a', 10);
    await clock.advance(10);
    expect(q.len()).toBe(2);
  });

  it('addRateLimited grows the delay per key up to the cap; forget resets it', async () => {
    const { q, clock } = setup();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const ms = q.addRateLimited('k');
      delays.push(ms);
      await clock.advance(ms - 1);
      expect(q.len()).toBe(0);
      await clock.advance(1);
      expect(await q.get()).toBe('k');
      q.done('k');
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(q.numRequeues('k')).toBe(6);
    expect(q.addRateLimited('other')).toBe(100);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
    expect(q.addRateLimited('k')).toBe(100);
  });

  it('shutdown wakes waiters with undefined, cancels delayed adds and ignores later adds', async () => {
    const { q, clock } = setup();
    const waiting = [q.get(), q.get()];
    q.addAfter('later', 100);
    q.shutdown();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
    expect(clock.pending()).toBe(0);
    q.add('x');
    q.addAfter('y', 1);
    expect(q.addRateLimited('z')).toBe(0);
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
    expect(q.isShuttingDown()).toBe(true);
  });

  it('keeps FIFO order across many adds (internal compaction is invisible)', async () => {
    const { q } = setup();
    const n = 5000;
    for (let i = 0; i < n; i++) q.add(`k${i}`);
    for (let i = 0; i < n; i++) {
      const k = await q.get();
      expect(k).toBe(`k${i}`);
      q.done(k!);
      if (i % 7 === 0) q.add(`again${i}`);
    }
    expect(q.len()).toBe(Math.ceil(n / 7));
    expect(await q.get()).toBe('again0');
  });
});
