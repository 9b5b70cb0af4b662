/**
 * Which hypervisor single-host mode will use. The rule is decideHypervisor (@hvs/domain), the
 * same one the agent applies with HVS_LIBVIRT_URI=auto, on facts probed by @hvs/host. hvctl
 * decides first only to tell the person which one it is, and passes an explicit URI when
 * `--hypervisor` forces a mode.
 */
import * as fs from 'node:fs';
import { decideHypervisor, SYSTEM_LIBVIRT_URI, type HypervisorMode, type HypervisorWish } from '@hvs/domain';
import { probeHypervisorFacts, realHypervisorProbes, type HypervisorProbes } from '@hvs/host';

export type { HypervisorMode, HypervisorProbes, HypervisorWish };

export interface HypervisorPlan {
  mode: HypervisorMode;
  /** What HVS_LIBVIRT_URI the agent gets. */
  agentUri: string;
  reason: string;
}

export async function chooseHypervisor(wish: HypervisorWish, probes: HypervisorProbes = realHypervisorProbes): Promise<HypervisorPlan> {
  if (wish === 'test') return { mode: 'test', agentUri: 'test:///default', reason: '--hypervisor test' };
  const facts = await probeHypervisorFacts(probes);
  const d = decideHypervisor(wish, facts);
  if (wish === 'kvm' || wish === 'qemu') {
    return { mode: d.mode, agentUri: SYSTEM_LIBVIRT_URI, reason: `--hypervisor ${wish}${facts.libvirtdReachable ? '' : ` (libvirtd does not answer on ${SYSTEM_LIBVIRT_URI} yet)`}${d.mode !== wish ? `: ${d.reason}` : ''}` };
  }
  return { mode: d.mode, agentUri: 'auto', reason: d.reason };
}

const KEPT = ' (kept from the running system; `hvctl down && hvctl up` chooses again)';

export interface RecordedHypervisor {
  mode: string;
  uri: string;
  reason: string;
}

/**
 * The hypervisor for an agent this `up` starts. Repairing a running system (other components
 * alive) without `--hypervisor` keeps the recorded choice without probing again: the VMs were
 * placed on it, and a fresh probe could switch a simulated system to real VMs (or back) under
 * them. The URI is pinned so the agent cannot choose differently either: qemu:///system for
 * kvm/qemu (what the agent's own `auto` picked), the agent's generated test node when it
 * exists. A fresh system, or an explicit wish, is chosen as usual.
 */
export async function hypervisorForAgent(
  wish: HypervisorWish, recorded: RecordedHypervisor | undefined, systemAlive: boolean, testNodeFile: string, probes?: HypervisorProbes,
): Promise<HypervisorPlan> {
  if (wish !== 'auto' || !systemAlive || recorded === undefined || !['kvm', 'qemu', 'test'].includes(recorded.mode)) return chooseHypervisor(wish, probes);
  const mode = recorded.mode as HypervisorMode;
  let agentUri = recorded.uri;
  if (agentUri === 'auto' && mode !== 'test') agentUri = 'qemu:///system';
  if (agentUri === 'auto' && mode === 'test' && fs.existsSync(testNodeFile)) agentUri = `test://${testNodeFile}`;
  return { mode, agentUri, reason: recorded.reason.endsWith(KEPT) ? recorded.reason : `${recorded.reason}${KEPT}` };
}

/** The banner shown when VMs are only simulated. */
export function simulatedBanner(plan: HypervisorPlan): string | undefined {
  if (plan.mode !== 'test') return undefined;
  return [
    '!! VMs are SIMULATED: libvirt\'s test driver is in use, no guest really runs.',
    `!! Why: ${plan.reason}.`,
    '!! For real VMs: install and start libvirtd (apt-get install libvirt-daemon-system qemu-system-x86; systemctl start libvirtd),',
    '!! then `hvctl down && hvctl up` (KVM needs /dev/kvm and vmx/svm; otherwise QEMU emulation is used).',
  ].join('\n');
}
