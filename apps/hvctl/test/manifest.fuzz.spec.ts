/**
 * Fuzz of the CLI's manifest reader (issue 12 item 10): whatever text `-f -` or a file holds,
 * reading and validating it locally either succeeds or throws one HvsError whose problems are
 * all coded, never another exception; the rendered error shows no stack frame. The same inputs
 * go to libs/domain's parseManifests and validation directly. Replay: see test/harness/fuzz.ts.
 */
import fc from 'fast-check';
import { formatProblem, isHvsError, loadManifests, parseManifests, type Problem } from '@hvs/domain';
import { expectNoLeak, HVS_CODE, runFuzz } from '../../../test/harness/fuzz';
import { anyManifestTextArb } from '../../../test/harness/fuzz-inputs';
import { loadLocal, readManifestFiles } from '../src/manifest/read';
import { fakeIo } from './fake-io';

jest.setTimeout(60_000);


function expectCoded(p: Problem): void {
  if (!HVS_CODE.test(p.code) || p.message === '' || p.fix === '') throw new Error(`uncoded problem: ${JSON.stringify(p)}`);
  expectNoLeak(formatProblem(p), `problem ${p.code}`);
}

describe('manifest reader fuzz', () => {
  it('hvctl -f - : any text is read and validated, or refused with coded problems only', async () => {
    const property = fc.asyncProperty(anyManifestTextArb, async (text) => {
      const io = fakeIo({ stdin: text });
      try {
        const loaded = loadLocal(await readManifestFiles(['-'], false, io));
        expect(loaded.wire.length).toBe(loaded.documents.length);
      } catch (e) {
        if (!isHvsError(e)) throw new Error(`a non-HvsError escaped: ${String((e as Error)?.stack ?? e)}`);
        expectCoded(e);
        for (const p of e.problems) expectCoded(p);
      }
    });
    await runFuzz('hvctl manifest reader', property, { numRuns: 2_000, timeLimitMs: 8_000 });
  });

  it('parseManifests and loadManifests never throw; every problem is coded', async () => {
    const property = fc.property(anyManifestTextArb, (text) => {
      const parsed = parseManifests(text, 'fuzz.yaml');
      if (!parsed.ok) parsed.problems.forEach(expectCoded);
      const loaded = loadManifests([{ fileName: 'fuzz.yaml', text }]);
      if (!loaded.ok) loaded.problems.forEach(expectCoded);
    });
    await runFuzz('domain parseManifests/loadManifests', property, { numRuns: 2_000, timeLimitMs: 5_000 });
  });
});
