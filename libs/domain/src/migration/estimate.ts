/**
 * Duration and downtime of one migration, before it starts (pure). The model is QEMU's
 * pre-copy: pass 1 sends all memory; each later pass sends what the guest dirtied during the
 * previous one; QEMU stops the guest when what is left fits in `maxDowntime` at the link's
 * bandwidth. Post-copy switches to the target after pass 1 (downtime: the switch-over only).
 * Offline stops, moves and starts the guest: its downtime is the whole move plus a boot.
 * Every value the caller did not know is an assumption, and the result says which.
 */
import type { MigrationMode } from './movability';

/** 1 Gbit/s: a plain gigabit migration link, a fair floor for a dedicated one. */
export const ASSUMED_BANDWIDTH_BPS = 125_000_000;
/** An idle server guest dirties a few MiB/s (timers, logs, page cache). */
export const ASSUMED_DIRTY_RATE_BPS = 4 * 1024 * 1024;
/** QEMU's default maximum downtime. */
export const DEFAULT_MAX_DOWNTIME_MS = 300;
/** Job set-up and the final switch-over (connect, device state, resume): measured 0.3-0.7 s on TCG. */
export const SETUP_MS = 400;
/** Device state and the switch itself, paid even when no memory is left to send. */
export const SWITCHOVER_MS = 20;
/** Guest shutdown plus boot for an offline move of a running VM, when nothing better is known. */
export const ASSUMED_RESTART_MS = 30_000;
/** Pre-copy passes before QEMU's auto-converge would have throttled the guest hard. */
export const MAX_PASSES = 30;

export interface EstimateInput {
  mode: MigrationMode;
  memoryBytes: number;
  /** Bytes of disks copied with the migration (copy-storage); 0 on shared storage. */
  copiedDiskBytes?: number;
  /** Measured dirty rate, bytes/s; undefined: assumed. */
  dirtyRateBps?: number;
  /** Link bandwidth, bytes/s; undefined: assumed. */
  bandwidthBps?: number;
  /** Why the dirty rate is assumed (the sample failed: unsupported, timed out ...), for the note. */
  dirtyRateAssumedWhy?: string;
  /** Why the bandwidth is assumed, for the note. */
  bandwidthAssumedWhy?: string;
  maxDowntimeMs?: number;
  /** The VM is running (a stopped VM moves with no downtime at all). */
  running: boolean;
}

export interface MigrationEstimate {
  memoryBytes: number;
  dirtyRateBps: number;
  bandwidthBps: number;
  durationMs: number;
  downtimeMs: number;
  /** Pre-copy passes (1 = a single full copy). 0 for offline. */
  passes: number;
  /** false: pre-copy alone does not reach maxDowntime (auto-converge will throttle the guest). */
  converges: boolean;
  /** Which inputs were assumed and why the figure may be off; one sentence each. */
  notes: string[];
}

const MiB = 1024 * 1024;

function mbps(bps: number): string {
  return `${(bps / MiB).toFixed(1)} MiB/s`;
}

export function estimateMigration(input: EstimateInput): MigrationEstimate {
  const notes: string[] = [];
  const bandwidth = input.bandwidthBps && input.bandwidthBps > 0 ? input.bandwidthBps : ASSUMED_BANDWIDTH_BPS;
  if (!(input.bandwidthBps && input.bandwidthBps > 0)) {
    notes.push(`link bandwidth assumed ${mbps(bandwidth)} (1 Gbit/s): ${input.bandwidthAssumedWhy ?? 'not known'}; a faster link shortens the copy`);
  }
  const dirty = input.dirtyRateBps !== undefined && input.dirtyRateBps >= 0 ? input.dirtyRateBps : ASSUMED_DIRTY_RATE_BPS;
  if (input.running && input.mode !== 'offline' && !(input.dirtyRateBps !== undefined && input.dirtyRateBps >= 0)) {
    notes.push(`dirty rate assumed: ${input.dirtyRateAssumedWhy ?? 'not measured'}; ${mbps(dirty)} used (an idle guest), a busy guest takes longer`);
  }
  const maxDowntime = input.maxDowntimeMs && input.maxDowntimeMs > 0 ? input.maxDowntimeMs : DEFAULT_MAX_DOWNTIME_MS;
  const disks = Math.max(0, input.copiedDiskBytes ?? 0);
  const diskMs = (disks / bandwidth) * 1000;
  if (disks > 0) notes.push(`copies ${(disks / MiB).toFixed(0)} MiB of local disk first (sizes from the spec: a sparse disk copies less)`);
  const base = { memoryBytes: input.memoryBytes, dirtyRateBps: dirty, bandwidthBps: bandwidth };

  if (!input.running) {
    return { ...base, durationMs: Math.round(diskMs), downtimeMs: 0, passes: 0, converges: true, notes: [...notes, 'the VM is stopped: only its placement moves'] };
  }
  if (input.mode === 'offline') {
    notes.push(`offline: the guest is shut down, moved and booted again; downtime assumed ${ASSUMED_RESTART_MS / 1000} s for shutdown plus boot`);
    const duration = Math.round(diskMs + ASSUMED_RESTART_MS);
    return { ...base, durationMs: duration, downtimeMs: duration, passes: 0, converges: true, notes };
  }

  const firstPassMs = (input.memoryBytes / bandwidth) * 1000;
  if (input.mode === 'postcopy') {
    // After pass 1 the guest runs on the target; pages dirtied meanwhile are pulled on demand.
    const pulledMs = ((dirty * firstPassMs) / 1000 / bandwidth) * 1000;
    notes.push('post-copy: the guest runs on the target after the first pass; a network failure after the switch loses the guest');
    return { ...base, durationMs: Math.round(SETUP_MS + diskMs + firstPassMs + pulledMs), downtimeMs: SWITCHOVER_MS, passes: 1, converges: true, notes };
  }

  let remaining = input.memoryBytes;
  let elapsed = 0;
  let passes = 0;
  let converges = false;
  while (passes < MAX_PASSES) {
    const passMs = (remaining / bandwidth) * 1000;
    elapsed += passMs;
    passes++;
    remaining = (dirty * passMs) / 1000;
    if ((remaining / bandwidth) * 1000 <= maxDowntime) {
      converges = true;
      break;
    }
    if (dirty >= bandwidth) break;
  }
  let downtime = (remaining / bandwidth) * 1000 + SWITCHOVER_MS;
  if (!converges) {
    notes.push(`the guest dirties memory (${mbps(dirty)}) about as fast as the link sends it: auto-converge will throttle its CPUs until the rest fits in ${maxDowntime} ms; post-copy avoids the throttling`);
    downtime = maxDowntime + SWITCHOVER_MS;
  }
  return { ...base, durationMs: Math.round(SETUP_MS + diskMs + elapsed + downtime), downtimeMs: Math.round(downtime), passes, converges, notes };
}
