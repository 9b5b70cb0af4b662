/**
 * VM status from what its node's agent observes (pure). The binding (status.node) and the
 * Scheduled condition belong to the scheduler and are kept; the agent decides phase, IPs,
 * interfaces (per NIC: reservation, DHCP lease or qemu-guest-agent), console, observedGeneration and the Ready / RestartRequired conditions. The result is
 * deep-equal to the current status when nothing changed, so the caller can skip the write.
 */
import type { VirtualMachine, VirtualMachineStatus } from '@hvs/domain';
import { agentv1, vmStatusFromObserved } from '@hvs/proto';
import { setCondition } from '../runtime/conditions';

export const VM_READY = 'Ready';
export const RESTART_REQUIRED = 'RestartRequired';

/** The agent reported the VM (`observed`), or has not / no longer does (`absent`). */
export type Observation = { node: string; uid: string; observed: agentv1.VmObserved } | { node: string; uid: string; observed: undefined };

export function statusFromObservation(vm: VirtualMachine, o: Observation, nowIso: string): VirtualMachineStatus {
  const status: VirtualMachineStatus = { ...vm.status };
  let conditions = status.conditions;
  if (o.observed === undefined) {
    // Assigned but not (or no longer) reported: the agent is about to define/start it.
    status.phase = vm.spec.runState === 'Stopped' ? 'Pending' : 'Starting';
    delete status.ips;
    delete status.interfaces;
    delete status.console;
    conditions = setCondition(conditions, {
      type: VM_READY, status: 'False', reason: 'AwaitingAgent', message: `the agent on node ${o.node} has not reported this VM yet`,
    }, nowIso);
  } else {
    const from = vmStatusFromObserved(o.observed);
    if (from.phase) status.phase = from.phase;
    if (from.ips) status.ips = from.ips;
    else delete status.ips;
    if (from.interfaces) status.interfaces = from.interfaces;
    else delete status.interfaces;
    if (from.console) status.console = from.console;
    else delete status.console;
    if (from.observedGeneration !== undefined) status.observedGeneration = from.observedGeneration;
    const running = status.phase === 'Running';
    const failure = o.observed.error;
    const message = [o.observed.message || failure?.message || '', failure?.why ?? '', failure?.fix ? `fix: ${failure.fix}` : ''].filter((s) => s !== '').join('; ');
    conditions = setCondition(conditions, {
      type: VM_READY,
      status: running ? 'True' : 'False',
      reason: o.observed.reason || status.phase || 'Unknown',
      message,
    }, nowIso);
    const pending = o.observed.pendingRestart;
    if (pending.length > 0 || conditions.some((c) => c.type === RESTART_REQUIRED)) {
      conditions = setCondition(conditions, pending.length > 0
        ? { type: RESTART_REQUIRED, status: 'True', reason: 'PendingChanges', message: `these changes apply at the next restart: ${pending.join(', ')}` }
        : { type: RESTART_REQUIRED, status: 'False', reason: 'UpToDate' }, nowIso);
    }
  }
  status.conditions = conditions;
  return status;
}
