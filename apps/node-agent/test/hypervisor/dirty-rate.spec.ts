import { FakeClock } from '@hvs/reconcile';
import { FakeHypervisorDriver, isDirtyRateSampling, parseDirtyRateStats } from '../../src/hypervisor';
import { sampleDirtyRateWithVirsh, type VirshCall } from '../../src/hypervisor/dirty-rate';

const measured = (start: number, mbps: number) => `Domain: 'vm'\n  dirtyrate.calc_status=2\n  dirtyrate.calc_start_time=${start}\n  dirtyrate.calc_period=1\n  dirtyrate.megabytes_per_second=${mbps}\n  dirtyrate.calc_mode=page-sampling\n`;

/** A virsh that answers domstats from a script (one answer per call, the last one repeats). */
function scriptedVirsh(answers: string[]): { virsh: VirshCall; calls: string[][] } {
  const calls: string[][] = [];
  const virsh: VirshCall = async (args) => {
    calls.push(args);
    if (args[0] === 'domdirtyrate-calc') return { stdout: '', stderr: '' };
    return { stdout: answers.length > 1 ? answers.shift()! : answers[0]!, stderr: '' };
  };
  return { virsh, calls };
}

async function run<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.finally(() => (done = true)).catch(() => undefined);
  for (let i = 0; i < 100 && !done; i++) await clock.advance(100);
  return p;
}

describe('parseDirtyRateStats', () => {
  it('reads the dirtyrate.* keys; none: undefined', () => {
    expect(parseDirtyRateStats(measured(1700000000, 12))).toEqual({ status: 2, megabytesPerSecond: 12, periodSeconds: 1, startTime: 1700000000, mode: 'page-sampling' });
    expect(parseDirtyRateStats("Domain: 'vm'\n  dirtyrate.calc_status=1\n")).toEqual({ status: 1, megabytesPerSecond: undefined, periodSeconds: undefined, startTime: undefined, mode: undefined });
    expect(parseDirtyRateStats("Domain: 'vm'\n  state.state=1\n")).toBeUndefined();
  });
});

describe('sampleDirtyRateWithVirsh', () => {
  it('starts the calculation, waits the period on the clock, and ignores an older figure until the new one is measured', async () => {
    const clock = new FakeClock();
    const { virsh, calls } = scriptedVirsh([measured(100, 99), "  dirtyrate.calc_status=1\n  dirtyrate.calc_start_time=200\n", measured(200, 3)]);
    const s = await run(clock, sampleDirtyRateWithVirsh(virsh, clock, 'vm', 1));
    expect(s).toEqual({ bytesPerSecond: 3 * 1024 * 1024, periodSeconds: 1, mode: 'page-sampling' });
    expect(calls[1]).toEqual(['domdirtyrate-calc', 'vm', '--seconds', '1']);
    expect(calls.filter((c) => c[0] === 'domstats').every((c) => c.join(' ') === 'domstats vm --dirtyrate')).toBe(true);
  });

  it('fails with HVS-LIBVIRT-DIRTYRATE-FAILED when QEMU never finishes or reports nothing', async () => {
    const clock = new FakeClock();
    const stuck = scriptedVirsh(['  dirtyrate.calc_status=1\n']);
    await expect(run(clock, sampleDirtyRateWithVirsh(stuck.virsh, clock, 'vm', 1))).rejects.toMatchObject({ code: 'HVS-LIBVIRT-DIRTYRATE-FAILED', why: expect.stringMatching(/had not finished/) });
    const none = scriptedVirsh(["Domain: 'vm'\n"]);
    await expect(run(clock, sampleDirtyRateWithVirsh(none.virsh, clock, 'vm', 1))).rejects.toMatchObject({ code: 'HVS-LIBVIRT-DIRTYRATE-FAILED', why: expect.stringMatching(/no dirtyrate/) });
  });
});

describe('the ability per driver', () => {
  it('the fake measures a running domain (knob dirtyRateBps) over clock time and refuses a stopped one', async () => {
    const clock = new FakeClock();
    const d = new FakeHypervisorDriver({ clock });
    expect(isDirtyRateSampling(d)).toBe(true);
    d.dirtyRateBps = 42;
    await d.define('vm', '<domain><name>vm</name></domain>');
    await expect(d.sampleDirtyRate('vm', 1)).rejects.toMatchObject({ code: 'HVS-LIBVIRT-INVALID-STATE' });
    await d.start('vm');
    await expect(run(clock, d.sampleDirtyRate('vm', 2))).resolves.toEqual({ bytesPerSecond: 42, periodSeconds: 2, mode: 'page-sampling' });
    d.failNext('dirtyRate');
    await expect(d.sampleDirtyRate('vm', 1)).rejects.toMatchObject({ code: 'HVS-LIBVIRT-FAILED' });
  });
});
