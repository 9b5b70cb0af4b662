import { DEFAULT_FENCE_AFTER_MS, DEFAULT_RESCHEDULE_MARGIN_MS } from '@hvs/domain';

/**
 * HA timing. The controller reads both from its config table (`haFenceAfter`/HVS_HA_FENCE_AFTER,
 * `haRescheduleMargin`/HVS_HA_RESCHEDULE_MARGIN: docs/controller-config.md), which also enforces
 * the margin's floor (the agent's fencing budget, 4 s).
 */
export interface HaTiming {
  /** What agents are told (Assign.fence_after_ms) and what the controller waits for. */
  fenceAfterMs: number;
  /** Extra wait on top of fenceAfter before restarting elsewhere. */
  marginMs: number;
}

export const DEFAULT_HA_TIMING: HaTiming = { fenceAfterMs: DEFAULT_FENCE_AFTER_MS, marginMs: DEFAULT_RESCHEDULE_MARGIN_MS };
