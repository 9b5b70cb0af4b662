import { FakeClock } from '../src/clock';
import { done, requeueAfter, TerminalError, type ReconcileResult } from '../src/result';
import { ReconcilerRunner, type ReconcileOutcome } from '../src/runner';

type Script = (key: string, call: number, signal: AbortSignal) => Promise<ReconcileResult>;

function setup(script: Script, workers = 1) {
  const clock = new FakeClock();
  const calls: { key: string; at: number }[] = [];
  const results: { key: string; outcome: ReconcileOutcome; ms: number }[] = [];
  const errors: { key: string; retryInMs: number }[] = [];
  const terminal: { key: string; err: TerminalError }[] = [];
  const perKey = new Map<string, number>();
  const runner = new ReconcilerRunner<string>(
    (key, signal) => {
      const n = (perKey.get(key) ?? 0) + 1;
      perKey.set(key, n);
      calls.push({ key, at: clock.now() });
      return script(key, n, signal);
    },
    {
      name: 'test',
      workers,
      clock,
      backoff: { baseMs: 100, factor: 2, maxMs: 1000 },
      hooks: {
        onResult: (key, outcome, ms) => results.push({ key, outcome, ms }),
        onError: (key, _e, retryInMs) => errors.push({ key, retryInMs }),
        onTerminal: (key, err) => terminal.push({ key, err }),
      },
    },
  );
  return { clock, runner, calls, results, errors, terminal };
}

describe('ReconcilerRunner', () => {
  it('done: one call per add, duration measured on the injected clock, backoff reset', async () => {
    const t = setup(async () => {
      await t.clock.sleep(50);
      return done();
    });
    t.runner.enqueue('a');
    t.runner.enqueue('a');
    t.runner.start();
    await t.clock.advance(1000);
    expect(t.calls).toEqual([{ key: 'a', at: 0 }]);
    // Added again while in flight: exactly one more call, after the first returns.
    t.runner.enqueue('a');
    await t.clock.advance(10);
    t.runner.enqueue('a');
    t.runner.enqueue('a');
    await t.clock.advance(1000);
    expect(t.calls).toEqual([{ key: 'a', at: 0 }, { key: 'a', at: 1000 }, { key: 'a', at: 1050 }]);
    expect(t.results).toEqual([1, 2, 3].map(() => ({ key: 'a', outcome: 'done', ms: 50 })));
    expect(t.runner.queue.numRequeues('a')).toBe(0);
    await t.runner.stop();
  });

  it('requeueAfter(ms): called again exactly ms later, not counted as a failure', async () => {
    const t = setup(async (_k, n) => (n < 3 ? requeueAfter(250) : done()));
    t.runner.start();
    t.runner.enqueue('a');
    await t.clock.advance(2000);
    expect(t.calls.map((c) => c.at)).toEqual([0, 250, 500]);
    expect(t.results.map((r) => r.outcome)).toEqual(['requeueAfter', 'requeueAfter', 'done']);
    expect(t.errors).toEqual([]);
    await t.runner.stop();
  });

  it('thrown errors retry with growing, capped backoff; success resets it', async () => {
    const t = setup(async (_k, n) => {
      if (n <= 6) throw new Error(`boom ${n}`);
      return done();
    });
    t.runner.start();
    t.runner.enqueue('a');
    await t.clock.advance(10_000);
    expect(t.errors.map((e) => e.retryInMs)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(t.calls.map((c) => c.at)).toEqual([0, 100, 300, 700, 1500, 2500, 3500]);
    expect(t.results.at(-1)?.outcome).toBe('done');
    expect(t.runner.queue.numRequeues('a')).toBe(0);
    await t.runner.stop();
  });

  it('a TerminalError is reported through onTerminal and not retried; a later add runs it again', async () => {
    const t = setup(async (_k, n) => {
      if (n === 1) throw new TerminalError('disk pool missing', { reason: 'PoolMissing' });
      return done();
    });
    t.runner.start();
    t.runner.enqueue('vm/a');
    await t.clock.advance(60_000);
    expect(t.calls).toHaveLength(1);
    expect(t.terminal).toHaveLength(1);
    expect(t.terminal[0].err.reason).toBe('PoolMissing');
    expect(t.results.map((r) => r.outcome)).toEqual(['terminal']);
    expect(t.runner.queue.delayedLen()).toBe(0);
    t.runner.enqueue('vm/a');
    await t.clock.flush();
    expect(t.calls).toHaveLength(2);
    await t.runner.stop();
  });

  it('a result that is not done()/requeueAfter() is treated as an error and retried', async () => {
    const t = setup(async (_k, n) => (n === 1 ? (undefined as unknown as ReconcileResult) : done()));
    t.runner.start();
    t.runner.enqueue('a');
    await t.clock.advance(100);
    expect(t.results.map((r) => r.outcome)).toEqual(['error', 'done']);
    await t.runner.stop();
  });

  it('a throwing hook neither stops the worker nor changes the outcome', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const runner = new ReconcilerRunner<string>(async () => (calls++, done()), {
      name: 'x', clock, hooks: { onResult: () => { throw new Error('metric broke'); } },
    });
    runner.start();
    runner.enqueue('a');
    runner.enqueue('b');
    await clock.flush();
    expect(calls).toBe(2);
    await runner.stop();
  });

  it('N workers process different keys concurrently, never the same key twice at once', async () => {
    let active = 0;
    let maxActive = 0;
    const activeKeys = new Set<string>();
    const t = setup(async (key) => {
      if (activeKeys.has(key)) throw new Error(`double processing of ${key}`);
      activeKeys.add(key);
      maxActive = Math.max(maxActive, ++active);
      await t.clock.sleep(100);
      activeKeys.delete(key);
      active--;
      return done();
    }, 3);
    t.runner.start();
    for (const k of ['a', 'b', 'c', 'd']) t.runner.enqueue(k);
    await t.clock.advance(10);
    t.runner.enqueue('a'); // in flight: must wait
    await t.clock.advance(1000);
    expect(maxActive).toBe(3);
    expect(t.calls.map((c) => `${c.key}@${c.at}`)).toEqual(['a@0', 'b@0', 'c@0', 'd@100', 'a@100']);
    expect(t.results.every((r) => r.outcome === 'done')).toBe(true);
    await t.runner.stop();
  });

  it('stop waits for in-flight calls, drops queued keys, and aborts the signal after the grace period', async () => {
    const seen: string[] = [];
    const t = setup(async (key, _n, signal) => {
      seen.push(key);
      try {
        await t.clock.sleep(10_000, signal);
      } catch {
        seen.push(`${key} aborted at ${t.clock.now()}`);
      }
      return done();
    });
    t.runner.start();
    t.runner.enqueue('a');
    t.runner.enqueue('b');
    await t.clock.flush();
    let stopped = false;
    const stopping = t.runner.stop({ graceMs: 500 }).then(() => (stopped = true));
    expect(t.runner.stop({ graceMs: 1 })).toBe(t.runner.stop());
    await t.clock.advance(499);
    expect(stopped).toBe(false);
    await t.clock.advance(1);
    await stopping;
    expect(seen).toEqual(['a', 'a aborted at 500']);
    expect(t.clock.pending()).toBe(0);
    t.runner.enqueue('c');
    await t.clock.advance(100);
    expect(seen).toHaveLength(2);
  });

  it('stop before start resolves at once; bad options and double start are refused', async () => {
    const r = new ReconcilerRunner<string>(async () => done(), { name: 'x', clock: new FakeClock() });
    await r.stop();
    expect(() => new ReconcilerRunner<string>(async () => done(), { name: 'x', workers: 0 })).toThrow(RangeError);
    const s = new ReconcilerRunner<string>(async () => done(), { name: 'y', clock: new FakeClock() });
    s.start();
    expect(() => s.start()).toThrow('already started');
    await s.stop();
  });

  it('requeueAfter rejects negative or non-finite delays', () => {
    expect(() => requeueAfter(-1)).toThrow(RangeError);
    expect(() => requeueAfter(Number.NaN)).toThrow(RangeError);
    expect(requeueAfter(0)).toEqual({ kind: 'requeueAfter', ms: 0 });
  });
});
