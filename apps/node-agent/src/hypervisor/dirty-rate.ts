/**
 * How fast a running guest dirties its memory, measured by QEMU (libvirt >= 7.2): the input
 * that decides whether a pre-copy migration converges and how long it takes. An optional
 * driver ability (Nomad style): LibvirtDriver on a real libvirtd has it, the test driver has
 * not (HVS-LIBVIRT-UNSUPPORTED), FakeHypervisorDriver has it with a knob.
 *
 * `virsh domdirtyrate-calc <dom> --seconds N` only starts QEMU's calculation and returns; the
 * figure appears in `virsh domstats --dirtyrate` once `dirtyrate.calc_status` is 2 (measured),
 * about N seconds later. page-sampling (QEMU's default mode) hashes sampled guest pages, so it
 * works under TCG as well as KVM; the dirty-bitmap/dirty-ring modes need KVM.
 */
import { HvsError } from '@hvs/domain';
import type { Clock } from '@hvs/reconcile';
import type { HypervisorDriver } from './driver';
import type { VirshResult } from './virsh';

export interface DirtyRateSample {
  bytesPerSecond: number;
  /** Seconds QEMU measured over. */
  periodSeconds: number;
  /** QEMU's calculation mode (`page-sampling`, `dirty-bitmap`, `dirty-ring`). */
  mode: string;
}

export interface DirtyRateSampling {
  /**
   * Measures over `seconds` (1..60) and resolves with the rate; takes about that long. Throws
   * HvsError: HVS-LIBVIRT-DIRTYRATE-FAILED (QEMU did not measure), HVS-LIBVIRT-UNSUPPORTED,
   * HVS-LIBVIRT-INVALID-STATE (not running), HVS-LIBVIRT-NOT-FOUND.
   */
  sampleDirtyRate(name: string, seconds: number): Promise<DirtyRateSample>;
}

export function isDirtyRateSampling(d: HypervisorDriver): d is HypervisorDriver & DirtyRateSampling {
  return d.abilities.has('dirty-rate') && typeof (d as Partial<DirtyRateSampling>).sampleDirtyRate === 'function';
}

export interface DirtyRateStats {
  /** 0 unstarted, 1 measuring, 2 measured (libvirt's virDomainDirtyRateStatus). */
  status: number;
  megabytesPerSecond?: number;
  periodSeconds?: number;
  startTime?: number;
  mode?: string;
}

/** The `dirtyrate.*` lines of `virsh domstats --dirtyrate` (undefined when there are none). */
export function parseDirtyRateStats(text: string): DirtyRateStats | undefined {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*dirtyrate\.([\w.]+)=(.*)$/.exec(line);
    if (m) kv.set(m[1], m[2].trim());
  }
  if (!kv.has('calc_status')) return undefined;
  const num = (k: string): number | undefined => (kv.has(k) && Number.isFinite(Number(kv.get(k))) ? Number(kv.get(k)) : undefined);
  return {
    status: num('calc_status') ?? 0,
    megabytesPerSecond: num('megabytes_per_second'),
    periodSeconds: num('calc_period'),
    startTime: num('calc_start_time'),
    mode: kv.get('calc_mode'),
  };
}

export type VirshCall = (args: string[], op: string, timeoutMs?: number) => Promise<VirshResult>;

const MiB = 1024 * 1024;
/** How often domstats is read once the measuring period should be over. */
const POLL_MS = 100;
/** Beyond the measuring period: QEMU finishes its hashing and libvirt reports it. */
const GRACE_MS = 3_000;

function failed(name: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-LIBVIRT-DIRTYRATE-FAILED', category: 'Unavailable', message: `measuring the dirty rate of ${name} failed`, why,
    fix: 'check that the domain is running and QEMU is 5.2 or newer (`virsh domstats --dirtyrate <domain>`); the migration estimate then assumes a rate',
  });
}

/** Starts the calculation, waits the period on `clock`, then polls until QEMU reports the figure. */
export async function sampleDirtyRateWithVirsh(virsh: VirshCall, clock: Clock, name: string, seconds: number): Promise<DirtyRateSample> {
  const period = Math.min(60, Math.max(1, Math.round(seconds)));
  const before = parseDirtyRateStats((await virsh(['domstats', name, '--dirtyrate'], 'domstats-dirtyrate')).stdout);
  await virsh(['domdirtyrate-calc', name, '--seconds', String(period)], 'domdirtyrate-calc');
  await clock.sleep(period * 1000);
  const deadline = clock.now() + GRACE_MS;
  for (;;) {
    const s = parseDirtyRateStats((await virsh(['domstats', name, '--dirtyrate'], 'domstats-dirtyrate')).stdout);
    if (!s) throw failed(name, 'libvirt reported no dirtyrate statistics for the domain');
    // A figure from an earlier calculation has the same start time: keep waiting for ours.
    const fresh = before?.startTime === undefined || s.startTime !== before.startTime;
    if (s.status === 2 && fresh && s.megabytesPerSecond !== undefined) {
      return { bytesPerSecond: s.megabytesPerSecond * MiB, periodSeconds: s.periodSeconds ?? period, mode: s.mode ?? 'page-sampling' };
    }
    if (clock.now() >= deadline) throw failed(name, `QEMU had not finished after ${period} s + ${GRACE_MS} ms (calc_status ${s.status})`);
    await clock.sleep(POLL_MS);
  }
}
