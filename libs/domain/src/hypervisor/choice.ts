/**
 * Which hypervisor a host runs VMs with, decided from probed facts. One rule for the node
 * agent (HVS_LIBVIRT_URI) and hvctl (`hvctl up --hypervisor`): KVM when /dev/kvm works, else
 * QEMU's TCG emulation when a libvirtd answers, else libvirt's test driver, and the reason
 * says which and why. Pure: the probing lives in @hvs/host, each caller adds its own
 * wording (which setting asked for what) around `reason`.
 */

export const HYPERVISOR_MODES = ['kvm', 'qemu', 'test'] as const;
export type HypervisorMode = (typeof HYPERVISOR_MODES)[number];

/** What was asked for: a mode, or `auto` (probe and take the best this host offers). */
export type HypervisorWish = HypervisorMode | 'auto';

/** The libvirt connection real guests use; `auto` probes it. */
export const SYSTEM_LIBVIRT_URI = 'qemu:///system';

/** What the probes found on this host. */
export interface HypervisorFacts {
  /** /dev/kvm opens read-write and the CPU has vmx/svm (a nested "PVM" /dev/kvm lacks them). */
  kvmUsable: boolean;
  /** A libvirtd answers on qemu:///system. */
  libvirtdReachable: boolean;
}

export interface HypervisorDecision {
  mode: HypervisorMode;
  /** `<domain type=...>` to render (libvirt's test driver accepts `qemu`). */
  domainType: 'kvm' | 'qemu';
  reason: string;
}

const KVM = 'KVM is usable (read-write /dev/kvm, vmx/svm present)';
const NO_KVM = 'KVM is not usable (no read-write /dev/kvm or no vmx/svm): guests run under QEMU TCG emulation, slow';

/**
 * `test`: the test driver (no guest runs). `qemu`: TCG even where KVM works. `kvm`: KVM when
 * usable, else TCG (a real libvirtd is assumed; nothing else can be done about it here).
 * `auto`: as `kvm` when a libvirtd answers on qemu:///system, else the test driver.
 */
export function decideHypervisor(wish: HypervisorWish, facts: HypervisorFacts): HypervisorDecision {
  switch (wish) {
    case 'test':
      return { mode: 'test', domainType: 'qemu', reason: "libvirt's test driver was asked for: no guest really runs" };
    case 'qemu':
      return { mode: 'qemu', domainType: 'qemu', reason: 'QEMU TCG emulation was asked for' };
    case 'kvm':
      return facts.kvmUsable ? { mode: 'kvm', domainType: 'kvm', reason: KVM } : { mode: 'qemu', domainType: 'qemu', reason: NO_KVM };
    case 'auto': {
      if (!facts.libvirtdReachable) {
        return { mode: 'test', domainType: 'qemu', reason: `no libvirtd answers on ${SYSTEM_LIBVIRT_URI}: libvirt's test driver, no guest really runs` };
      }
      const best = decideHypervisor('kvm', facts);
      return { ...best, reason: `libvirtd answers on ${SYSTEM_LIBVIRT_URI}; ${best.reason}` };
    }
  }
}
