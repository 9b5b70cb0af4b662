/**
 * The fencing rule (DESIGN §3, node failure and HA), as pure functions both sides share, so
 * the agent's "when do I stop my HA VMs" and the controller's "when may I restart them
 * elsewhere" cannot drift apart.
 *
 * Agent side: `fenceDecision` once `fenceAfterMs` passed without controller contact.
 * Controller side: `rescheduleAt` (never before the agent's fence deadline plus a margin) and
 * `controllerMayReschedule` (the controller sees enough of the lost node's peers that the lost
 * agent cannot have concluded "controller outage").
 */

/** Timing defaults (DESIGN §9). */
export const DEFAULT_FENCE_AFTER_MS = 15_000;
export const DEFAULT_RESCHEDULE_MARGIN_MS = 5_000;
/** The agent's fencing loop looks at its controller contact this often. */
export const FENCE_CHECK_INTERVAL_MS = 1_000;
/** Deadline of one PeerCheck call (peers are asked in parallel). */
export const PEER_CHECK_TIMEOUT_MS = 2_000;
/**
 * Worst case from "fenceAfter reached" to "HA VMs destroyed" on the agent: one check interval,
 * one PeerCheck round and the destroy calls (libvirt destroy is a SIGKILL of QEMU: well under 1 s).
 */
export const FENCE_ACTION_BUDGET_MS = FENCE_CHECK_INTERVAL_MS + PEER_CHECK_TIMEOUT_MS + 1_000;

export interface PeerAnswer {
  name: string;
  /** The peer answered PeerCheck at all. */
  reachable: boolean;
  /** Its answer: it heard from the controller recently. Ignored when not reachable. */
  controllerReachable: boolean;
}

export interface FenceInput {
  /** ms since this agent last heard from the controller; -1 (never) counts as forever. */
  msSinceControllerContact: number;
  fenceAfterMs: number;
  /** Every peer from the last assignment, with what asking it gave. */
  peers: readonly PeerAnswer[];
}

export type FenceDecision = 'keep' | 'fence' | 'controller-outage';

/**
 * - `keep`: the controller was heard from within `fenceAfterMs`.
 * - `controller-outage`: a strict majority of ALL known peers answered and say they lost the
 *   controller too. Nobody fences: a dead controller must never stop every HA VM.
 * - `fence`: otherwise, i.e. a majority of the peers that answered still reach the controller,
 *   or no peer answered at all (isolated, including a host with no peers), or the answers are
 *   split without a majority for "outage" (unknown is treated as "the controller may be
 *   restarting my VMs elsewhere": safety over availability).
 *
 * Counting "outage" against all peers, not only those that answered, is what keeps a minority
 * partition honest: two agents cut off together cannot outvote the rest of the cluster.
 */
export function fenceDecision(input: FenceInput): FenceDecision {
  const since = input.msSinceControllerContact < 0 ? Number.POSITIVE_INFINITY : input.msSinceControllerContact;
  if (since < input.fenceAfterMs) return 'keep';
  const lost = input.peers.filter((p) => p.reachable && !p.controllerReachable).length;
  if (input.peers.length > 0 && lost * 2 > input.peers.length) return 'controller-outage';
  return 'fence';
}

/**
 * Earliest time the controller may restart the HA VMs of a lost node: its last heartbeat +
 * fenceAfter + margin. `lastHeartbeatMs` must be an upper bound of the real last heartbeat
 * (the controller uses "lease seen expired - lease TTL", which is >= the last renewal), so the
 * result can only be late, never early.
 */
export function rescheduleAt(lastHeartbeatMs: number, fenceAfterMs: number, marginMs: number): number {
  return lastHeartbeatMs + fenceAfterMs + marginMs;
}

/**
 * Latest time by which an agent whose last controller contact was `lastContactMs` has fenced
 * (if it is going to): fenceAfter plus the loop's action budget.
 */
export function fenceDeadline(lastContactMs: number, fenceAfterMs: number, budgetMs = FENCE_ACTION_BUDGET_MS): number {
  return lastContactMs + fenceAfterMs + budgetMs;
}

/**
 * The controller side of the majority rule: restart a lost node's HA VMs only while at least
 * half of that node's peers are Ready (seen by this controller). Then fewer than a strict
 * majority of its peers can have told it "controller lost", so the lost agent decided `fence`.
 * A controller that sees most nodes vanish at once is itself the odd one out and restarts nothing.
 */
export function controllerMayReschedule(readyPeers: number, totalPeers: number): boolean {
  return readyPeers * 2 >= totalPeers;
}
