/**
 * `apply --wait`: polls the VMs until each reaches its spec.runState for its current
 * generation, or the deadline passes. A VM whose phase is Failed for the current
 * generation fails the wait at once (waiting longer would only hide the reason).
 */
import { fromProtoObject } from '@hvs/proto';
import { HvsError } from '@hvs/domain';
import { Progress } from '../printers/progress';
import { formatDuration } from '../printers/table';
import { downloadLines, type ShownImage } from '../printers/images';
import type { ShownResource } from '../printers/resources';
import type { Runtime } from './runtime';

const POLL_MS = 500;

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});

interface VmState {
  name: string;
  wanted: string;
  phase: string;
  current: boolean;
  reason?: string;
}

export function vmState(obj: ShownResource): VmState {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  const wanted = typeof spec.runState === 'string' ? spec.runState : 'Running';
  const phase = typeof status.phase === 'string' ? status.phase : 'Pending';
  const gen = obj.metadata.generation;
  const observed = status.observedGeneration;
  const current = typeof gen !== 'number' || typeof observed !== 'number' || observed >= gen;
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Rec[]) : [];
  const bad = conditions.filter((c) => c.status !== 'True' && (c.reason || c.message));
  const reason = bad.map((c) => `${String(c.type)}=${String(c.status)}${c.reason ? ` ${String(c.reason)}` : ''}${c.message ? `: ${String(c.message)}` : ''}`).join('; ');
  return { name: obj.metadata.name, wanted, phase, current, ...(reason ? { reason } : {}) };
}

export function isDone(s: VmState): boolean {
  return s.current && s.phase === s.wanted;
}

/** Resolves when every VM named is in its runState; throws HVS-CLI-WAIT-FAILED / -TIMEOUT naming each one left. */
export async function waitForVms(rt: Runtime, names: readonly string[], timeoutMs: number): Promise<void> {
  if (names.length === 0) return;
  const api = await rt.api();
  const progress = new Progress(rt.io);
  const deadline = rt.io.now() + timeoutMs;
  let states = new Map<string, VmState>();
  try {
    for (;;) {
      const list = await api.list('VirtualMachine');
      const byName = new Map(list.items.map((o) => [o.metadata?.name ?? '', o]));
      states = new Map(names.map((n) => {
        const o = byName.get(n);
        return [n, o ? vmState(fromProtoObject(o) as ShownResource) : { name: n, wanted: 'Running', phase: 'Missing', current: true, reason: 'the VM no longer exists' }];
      }));
      const pending = [...states.values()].filter((s) => !isDone(s));
      if (pending.length === 0) {
        progress.done();
        rt.io.err(`${names.length} VM(s) reached their runState in ${formatDuration(progress.elapsedMs())}\n`);
        return;
      }
      const failed = pending.filter((s) => s.current && (s.phase === 'Failed' || s.phase === 'Missing'));
      if (failed.length > 0) {
        progress.done();
        throw waitError('HVS-CLI-WAIT-FAILED', `${failed.length} VM(s) failed while waiting for their runState`, failed,
          'fix the cause named above (hvctl describe vm NAME shows conditions and events), then apply again');
      }
      if (rt.io.now() >= deadline) {
        progress.done();
        throw waitError('HVS-CLI-WAIT-TIMEOUT', `${pending.length} of ${names.length} VM(s) did not reach their runState within ${formatDuration(timeoutMs)}`, pending,
          'look at `hvctl describe vm NAME` and `hvctl events NAME`; wait longer with --timeout (the apply itself succeeded)');
      }
      // VMs waiting for an image: show how its download goes (docs/images.md#watching-progress).
      const downloads = pending.some((s) => s.reason?.includes('ImageNotReady')) ? downloadLines((await api.list('Image')).items.map((o) => fromProtoObject(o) as ShownImage)) : [];
      progress.update(`waiting for ${pending.length}/${names.length} VM(s): ${pending.slice(0, 4).map((s) => `${s.name} ${s.phase}`).join(', ')}${pending.length > 4 ? ', ...' : ''}${downloads.length > 0 ? `; ${downloads.slice(0, 2).join('; ')}` : ''}`);
      await rt.io.sleep(Math.min(POLL_MS, Math.max(0, deadline - rt.io.now())));
    }
  } finally {
    progress.done();
  }
}

function waitError(code: string, message: string, states: VmState[], fix: string) {
  const problems = states.map((s) => ({
    code, path: `virtualmachine/${s.name}`,
    message: `phase ${s.phase}, wanted ${s.wanted}${s.current ? '' : ' (the controller has not seen the latest spec yet)'}`,
    ...(s.reason ? { why: s.reason } : {}), fix: `hvctl describe vm ${s.name}`,
  }));
  return new HvsError({ code, category: code.endsWith('TIMEOUT') ? 'DeadlineExceeded' : 'FailedPrecondition', message, fix, problems: [{ code, message, fix }, ...problems] });
}
