/**
 * The one place a test may be skipped: eslint forbids `.skip` everywhere else (eslint.config.mjs).
 * A skip here is real: jest counts its tests as skipped, never as passed, and the title carries
 * why, so the closing summary of `npm test` (scripts/run-jest.js) lists every skip with its
 * reason, per tier. Under CI=true a skipped tier this machine could run fails the run
 * (docs/system-tests.md#test-tiers).
 *
 *   describeWhen(qemu.ok, qemu.why)('LibvirtDriver on real QEMU/TCG', () => { ... });
 *
 * Skip only for what the machine lacks or has (root, QEMU, a network namespace), never to hide a
 * failure; a program `npm test` installs is required instead (harness/binaries.ts).
 */

/** What a skipped describe's title ends with; scripts/tier-summary.js reads the reason back. */
export const SKIP_MARK = ' [skipped: ';

/** `describe` when `when` holds; otherwise `describe.skip` with "[skipped: why]" in the title. */
export function describeWhen(when: boolean, why: string): (title: string, body: () => void) => void {
  if (when) return (title, body) => describe(title, body);
  if (!why.trim()) throw new Error('describeWhen: a skip needs a reason (what is missing, how to get it)');
  return (title, body) => describe.skip(`${title}${SKIP_MARK}${why}]`, body);
}

/**
 * The real-QEMU tier (apps/node-agent *.qemu.spec.ts): on when `npm test` found root, libvirtd
 * and qemu-system-x86_64 (scripts/lib.sh tier_gates sets HVS_TEST_QEMU=1); HVS_TEST_QEMU=0 turns it off.
 */
export const qemuTier: { ok: boolean; why: string } = process.env.HVS_TEST_QEMU === '1'
  ? { ok: true, why: '' }
  : { ok: false, why: `HVS_TEST_QEMU is ${process.env.HVS_TEST_QEMU === undefined ? 'unset' : `"${process.env.HVS_TEST_QEMU}"`} (npm test sets it to 1 as root with libvirtd and qemu-system-x86_64)` };
