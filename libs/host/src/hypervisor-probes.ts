/**
 * The probes behind the hypervisor decision (decideHypervisor in @hvs/domain), done once here
 * for the node agent and hvctl. Probes never throw: a probe that cannot tell answers false.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { SYSTEM_LIBVIRT_URI, type HypervisorFacts } from '@hvs/domain';

/** KVM is usable when /dev/kvm opens read-write and the CPU has vmx/svm (a nested "PVM" /dev/kvm lacks them). */
export async function kvmUsable(devKvm = '/dev/kvm', cpuinfo = '/proc/cpuinfo'): Promise<boolean> {
  try {
    await access(devKvm, constants.R_OK | constants.W_OK);
    return /\b(vmx|svm)\b/.test(await readFile(cpuinfo, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * True when a libvirtd answers on `uri` within `timeoutMs`. Through virsh, not the libvirt
 * binding: a failed open in the binding can log to stderr and take seconds.
 */
export function libvirtdReachable(uri: string = SYSTEM_LIBVIRT_URI, timeoutMs = 5_000): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('virsh', ['-q', '-c', uri, 'uri'], { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' } }, (err) => resolve(!err));
  });
}

/** The probes as a seam: tests pass their own answers. */
export interface HypervisorProbes {
  kvmUsable(): Promise<boolean>;
  libvirtdReachable(uri: string): Promise<boolean>;
}

export const realHypervisorProbes: HypervisorProbes = {
  kvmUsable: () => kvmUsable(),
  libvirtdReachable: (uri) => libvirtdReachable(uri),
};

/** Both facts decideHypervisor('auto') needs, probed in parallel. */
export async function probeHypervisorFacts(probes: HypervisorProbes = realHypervisorProbes): Promise<HypervisorFacts> {
  const [kvm, libvirtd] = await Promise.all([probes.kvmUsable(), probes.libvirtdReachable(SYSTEM_LIBVIRT_URI)]);
  return { kvmUsable: kvm, libvirtdReachable: libvirtd };
}
