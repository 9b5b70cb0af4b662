/**
 * How every fuzz suite runs a fast-check property: a case budget AND a time budget (whichever
 * ends first; the time budget only stops the run, it never fails it), a printed line with the
 * number of cases run and the seed, and on failure fast-check's report plus the environment
 * that replays it exactly:
 *
 *   HVS_FUZZ_SEED=<seed> HVS_FUZZ_PATH=<path> npx jest -c apps/controller/jest.config.js <spec>
 *
 * HVS_FUZZ_SEED alone reruns the same sequence of cases; with HVS_FUZZ_PATH it goes straight to
 * the shrunk counterexample. HVS_FUZZ_SCALE multiplies both budgets (e.g. 10 for a long local run).
 */
import * as os from 'node:os';
import * as nodePath from 'node:path';
import fc from 'fast-check';

/** A stable error code as every answer must carry one. */
export const HVS_CODE = /^HVS-[A-Z0-9]+(-[A-Z0-9]+)*$/;

const REPO_ROOT = nodePath.resolve(__dirname, '../..');
const LEAKS: readonly [RegExp, string][] = [
  [/\bat (?:async )?[\w$.<>[\] ]+ \(\S*:\d+:\d+\)/, 'a stack frame'],
  [/\bat (?:file:\/\/)?\/\S+:\d+:\d+/, 'a stack frame'],
  [/node_modules/, 'a node_modules path'],
  [/\.[jt]s:\d+/, 'a source file position'],
];

/** Why `text` (an answer body, a status message, a rendered problem) shows the program's insides, or undefined. */
export function leakIn(text: string): string | undefined {
  if (text.includes(REPO_ROOT)) return `the installation path ${REPO_ROOT}`;
  const tmp = `${os.tmpdir()}/hvs-`;
  if (text.includes(tmp)) return `a data path under ${tmp}`;
  for (const [re, what] of LEAKS) {
    const m = re.exec(text);
    if (m) return `${what} ("${m[0]}")`;
  }
  return undefined;
}

export function expectNoLeak(text: string, where: string): void {
  const leak = leakIn(text);
  if (leak) throw new Error(`${where} shows ${leak}: ${text.slice(0, 2_000)}`);
}

export interface FuzzBudget {
  /** Most cases to run. */
  numRuns: number;
  /** Stop starting new cases after this long (scaled by HVS_FUZZ_SCALE). */
  timeLimitMs: number;
  /** Fewer cases than this fails the run: a suite that hardly ran proves nothing (default 20). */
  minRuns?: number;
}

/** What a finished run did (for the suite's own summary). */
export interface FuzzOutcome {
  numRuns: number;
  seed: number;
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name}="${raw}" is not a number`);
  return n;
}

/**
 * Runs `property` under `budget`; throws (failing the test) with the counterexample, the seed
 * and the replay command when a case fails or when fewer than `minRuns` cases ran.
 */
export async function runFuzz<T>(name: string, property: fc.IAsyncPropertyWithHooks<T> | fc.IPropertyWithHooks<T>, budget: FuzzBudget): Promise<FuzzOutcome> {
  const scale = envNumber('HVS_FUZZ_SCALE') ?? 1;
  const seed = envNumber('HVS_FUZZ_SEED') ?? (Date.now() ^ (Math.random() * 0x100000000)) | 0;
  const path = process.env.HVS_FUZZ_PATH || undefined;
  const details = await fc.check(property as fc.IAsyncPropertyWithHooks<T>, {
    seed, path, numRuns: Math.round(budget.numRuns * scale), interruptAfterTimeLimit: Math.round(budget.timeLimitMs * scale),
    markInterruptAsFailure: false,
  });
  const replay = `HVS_FUZZ_SEED=${details.seed}${details.counterexamplePath ? ` HVS_FUZZ_PATH=${details.counterexamplePath}` : ''}`;
  process.stdout.write(`fuzz ${name}: ${details.numRuns} cases${details.interrupted ? ' (time budget reached)' : ''}, seed ${details.seed}\n`);
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`fuzz ${name} failed: ${cause}\nreplay with ${replay}\n${fc.defaultReportMessage(details) ?? ''}`);
  }
  const minRuns = budget.minRuns ?? 20;
  if (details.numRuns < minRuns) {
    throw new Error(`fuzz ${name}: only ${details.numRuns} cases ran (at least ${minRuns} needed); the machine is overloaded or each case hangs (${replay})`);
  }
  return { numRuns: details.numRuns, seed: details.seed };
}
