/**
 * Which hypervisor single-host mode will use. The agent decides for itself with
 * HVS_LIBVIRT_URI=auto (apps/node-agent/src/config/hypervisor-choice.ts); hvctl runs the same
 * probes first only to tell the person which one it is, and passes an explicit URI when
 * `--hypervisor` forces a mode.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';

export type HypervisorMode = 'kvm' | 'qemu' | 'test';
export type HypervisorWish = HypervisorMode | 'auto';

export interface HypervisorPlan {
  mode: HypervisorMode;
  /** What HVS_LIBVIRT_URI the agent gets. */
  agentUri: string;
  reason: string;
}

export interface HypervisorProbes {
  kvmUsable(): boolean;
  libvirtdReachable(): Promise<boolean>;
}

export const realHypervisorProbes: HypervisorProbes = {
  kvmUsable() {
    try {
      fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
      return /\b(vmx|svm)\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    } catch {
      return false;
    }
  },
  libvirtdReachable: () =>
    new Promise((resolve) => {
      execFile('virsh', ['-q', '-c', 'qemu:///system', 'uri'], { timeout: 5_000, env: { ...process.env, LC_ALL: 'C' } }, (err) => resolve(!err));
    }),
};

export async function chooseHypervisor(wish: HypervisorWish, probes: HypervisorProbes = realHypervisorProbes): Promise<HypervisorPlan> {
  if (wish === 'test') return { mode: 'test', agentUri: 'test:///default', reason: '--hypervisor test' };
  const kvm = probes.kvmUsable();
  const libvirtd = await probes.libvirtdReachable();
  if (wish === 'kvm' || wish === 'qemu') {
    return { mode: wish === 'kvm' && kvm ? 'kvm' : 'qemu', agentUri: 'qemu:///system', reason: `--hypervisor ${wish}${libvirtd ? '' : ' (libvirtd does not answer on qemu:///system yet)'}` };
  }
  if (libvirtd) {
    return kvm
      ? { mode: 'kvm', agentUri: 'auto', reason: 'libvirtd answers on qemu:///system and KVM is usable' }
      : { mode: 'qemu', agentUri: 'auto', reason: 'libvirtd answers on qemu:///system but KVM is not usable (no read-write /dev/kvm or no vmx/svm): QEMU software emulation, slow' };
  }
  return { mode: 'test', agentUri: 'auto', reason: 'no libvirtd answers on qemu:///system' };
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
