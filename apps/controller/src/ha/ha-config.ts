import { DEFAULT_FENCE_AFTER_MS, DEFAULT_RESCHEDULE_MARGIN_MS, HvsError, tryParseDuration } from '@hvs/domain';

export interface HaTiming {
  /** What agents are told (Assign.fence_after_ms) and what the controller waits for. */
  fenceAfterMs: number;
  /** Extra wait on top of fenceAfter before restarting elsewhere. */
  marginMs: number;
}

export const DEFAULT_HA_TIMING: HaTiming = { fenceAfterMs: DEFAULT_FENCE_AFTER_MS, marginMs: DEFAULT_RESCHEDULE_MARGIN_MS };

/**
 * HVS_HA_FENCE_AFTER (default 15s) and HVS_HA_RESCHEDULE_MARGIN (default 5s). The margin must
 * cover the agent's fencing loop budget (FENCE_ACTION_BUDGET_MS, 4 s): a smaller one is refused.
 */
export function haTimingFromEnv(env: NodeJS.ProcessEnv): HaTiming {
  const read = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const ms = tryParseDuration(raw.trim());
    if (ms === undefined || ms < min) {
      throw new HvsError({
        code: 'HVS-CONFIG-HA-TIMING-INVALID', category: 'InvalidArgument',
        message: `${name}=${JSON.stringify(raw.slice(0, 40))} is not a valid duration`,
        why: `it must be a duration such as 15s, at least ${min} ms`,
        fix: `set ${name} to a duration like ${fallback / 1000}s, or unset it for the default (see docs/ha.md)`,
      });
    }
    return ms;
  };
  return { fenceAfterMs: read('HVS_HA_FENCE_AFTER', DEFAULT_FENCE_AFTER_MS, 2_000), marginMs: read('HVS_HA_RESCHEDULE_MARGIN', DEFAULT_RESCHEDULE_MARGIN_MS, 4_000) };
}
