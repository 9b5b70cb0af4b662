import { HvsError, type AgentVmPhase, type Problem } from '@hvs/domain';
import type { DomainState } from '../hypervisor';

/** What the reconciler is doing to the domain right now. */
export type Activity = 'starting' | 'stopping' | 'removing' | undefined;

export interface PhaseInput {
  runState: 'Running' | 'Stopped';
  /** undefined: no domain with the VM's name exists. */
  state: DomainState | undefined;
  activity: Activity;
  /** The last reconcile error, cleared by the next successful step. */
  error: unknown;
  /** A prerequisite that is not met yet (network, image, cloud-init seed): the VM waits, Pending. */
  waiting?: Wait;
}

/** Why a VM may not be defined/started yet (domain-reconciler.ts prerequisites). */
export interface Wait {
  /** CamelCase: NetworkNotReady, ImageNotReady, ImageFailed, CloudInitPending... */
  reason: string;
  message: string;
  /** Set when the wait is a failure a person must fix (e.g. an image with the wrong digest). */
  problem?: Problem;
}

export interface PhaseView {
  phase: AgentVmPhase;
  /** CamelCase reason (`LibvirtError`, `Crashed`, `NotDefined`...). */
  reason: string;
  message: string;
  /** Set with Failed from an error: what failed, why, fix. */
  problem?: Problem;
}

/** CamelCase reason for an error, by its code's area. */
export function reasonOf(e: unknown): string {
  const code = e instanceof HvsError ? e.code : '';
  if (code.startsWith('HVS-LIBVIRT-')) return 'LibvirtError';
  if (code.startsWith('HVS-VOLUME-')) return 'VolumeError';
  if (code.startsWith('HVS-XML-')) return 'RenderError';
  if (code.startsWith('HVS-AGENT-IMAGE-')) return 'ImageMissing';
  if (code.startsWith('HVS-AGENT-PATH-')) return 'PathRefused';
  return 'ReconcileError';
}

export function problemOf(e: unknown): Problem {
  if (e instanceof HvsError) return { code: e.code, message: e.message, why: e.why, fix: e.fix, ...(e.path ? { path: e.path } : {}) };
  return { code: 'HVS-AGENT-RECONCILE-FAILED', message: 'reconcile failed', why: e instanceof Error ? e.message : String(e), fix: 'see the agent log; the agent retries with backoff' };
}

/**
 * The VM's phase from the domain's state and the reconciler's view. Pure: the same inputs give
 * the same phase. An error wins (Failed with libvirt's message, a reason and a fix) until a
 * later step succeeds; then what the reconciler is doing; then libvirt's domain state.
 */
export function computePhase(i: PhaseInput): PhaseView {
  if (i.error !== undefined) {
    const problem = problemOf(i.error);
    return { phase: 'Failed', reason: reasonOf(i.error), message: `${problem.message}${problem.why ? `: ${problem.why}` : ''}`, problem };
  }
  if (i.waiting !== undefined && (i.state === undefined || !['running', 'blocked', 'paused', 'pmsuspended', 'shutdown'].includes(i.state))) {
    return { phase: 'Pending', reason: i.waiting.reason, message: i.waiting.message, ...(i.waiting.problem ? { problem: i.waiting.problem } : {}) };
  }
  if (i.activity === 'starting') return { phase: 'Starting', reason: 'Starting', message: 'starting the domain' };
  if (i.activity === 'stopping' || i.activity === 'removing') {
    return { phase: 'Stopping', reason: i.activity === 'removing' ? 'Removing' : 'ShuttingDown', message: i.activity === 'removing' ? 'removed from the assignment: stopping and undefining' : 'graceful shutdown' };
  }
  switch (i.state) {
    case undefined:
      return { phase: 'Pending', reason: 'NotDefined', message: 'the domain is not defined yet' };
    case 'running':
    case 'blocked':
      return { phase: 'Running', reason: 'Running', message: '' };
    case 'crashed':
      return { phase: 'Failed', reason: 'Crashed', message: 'the guest crashed; the agent starts it again when its runState is Running' };
    case 'paused':
    case 'pmsuspended':
      return { phase: 'Stopped', reason: 'Paused', message: `the domain is ${i.state}` };
    case 'shutdown':
      return { phase: 'Stopping', reason: 'ShuttingDown', message: 'the guest is shutting down' };
    default:
      return i.runState === 'Running'
        ? { phase: 'Pending', reason: 'WaitingToStart', message: 'defined, not started yet' }
        : { phase: 'Stopped', reason: 'Stopped', message: '' };
  }
}
