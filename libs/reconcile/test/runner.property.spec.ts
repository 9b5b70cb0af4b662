import fc from 'fast-check';
import { FakeClock } from '../src/clock';
import { done, requeueAfter, TerminalError, type ReconcileResult } from '../src/result';
import { ReconcilerRunner } from '../src/runner';

type Behaviour = { sleepMs: number; outcome: 'done' | 'requeue' | 'error' | 'terminal' };
type Op = { op: 'add'; key: string } | { op: 'advance'; ms: number };

const behaviour = fc.record({
  sleepMs: fc.integer({ min: 0, max: 200 }),
  outcome: fc.constantFrom('done', 'requeue', 'error', 'terminal'),
}) as fc.Arbitrary<Behaviour>;
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e') }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 }) }),
);

/**
 * Random add/advance sequences against 1-4 workers whose calls take random (fake) time and end
 * in random outcomes. Safety: a key is never in two calls at once. Liveness: every add is
 * followed by a call of that key that started after it.
 */
// 100 random runs take ~2 s alone and over 5 s (jest's default) on a loaded 2-core CI machine.
jest.setTimeout(60_000);

describe('ReconcilerRunner properties', () => {
  it('never processes one key concurrently and never loses an add', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(behaviour, { minLength: 1, maxLength: 30 }),
        fc.array(op, { maxLength: 60 }),
        async (workers, behaviours, ops) => {
          const clock = new FakeClock();
          let seq = 0;
          let calls = 0;
          const active = new Set<string>();
          const violations: string[] = [];
          const lastAdd = new Map<string, number>();
          const lastStart = new Map<string, number>();
          const runner = new ReconcilerRunner<string>(
            async (key, signal): Promise<ReconcileResult> => {
              if (active.has(key)) violations.push(`${key} processed twice at once`);
              active.add(key);
              lastStart.set(key, ++seq);
              const b = behaviours[calls++ % behaviours.length];
              try {
                await clock.sleep(b.sleepMs, signal);
              } finally {
                active.delete(key);
              }
              if (b.outcome === 'error') throw new Error('transient');
              if (b.outcome === 'terminal') throw new TerminalError('permanent');
              return b.outcome === 'requeue' ? requeueAfter(b.sleepMs) : done();
            },
            { name: 'prop', workers, clock, backoff: { baseMs: 10, factor: 2, maxMs: 500 } },
          );
          runner.start();
          for (const o of ops) {
            if (o.op === 'add') {
              lastAdd.set(o.key, ++seq);
              runner.enqueue(o.key);
            } else {
              await clock.advance(o.ms);
            }
          }
          // Five keys, calls of at most 200 ms, retries at most 500 ms apart: 10 s drains all.
          await clock.advance(10_000);
          for (const [key, added] of lastAdd) {
            if (!((lastStart.get(key) ?? 0) > added)) violations.push(`add of ${key} never processed`);
          }
          const stopped = runner.stop({ graceMs: 1000 });
          await clock.advance(1000);
          await stopped;
          expect(violations).toEqual([]);
          expect(active.size).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
