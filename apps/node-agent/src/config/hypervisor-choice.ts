import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { kvmUsable, writeTestNode, type HypervisorMode } from '../hypervisor';
import type { AgentConfig } from './config';

/** Which libvirt connection the agent uses, with the reason it is logged and diagnosed with. */
export interface HypervisorChoice {
  uri: string;
  mode: HypervisorMode;
  /** `<domain type=...>` the renderer writes (the test driver accepts `qemu`). */
  domainType: 'kvm' | 'qemu';
  reason: string;
}

export interface ChoiceProbes {
  kvmUsable(): Promise<boolean>;
  /** True when a libvirtd answers on `uri`. */
  libvirtdReachable(uri: string): Promise<boolean>;
}

export const SYSTEM_URI = 'qemu:///system';

export const realProbes: ChoiceProbes = {
  kvmUsable: () => kvmUsable(),
  libvirtdReachable: (uri) =>
    new Promise((resolve) => {
      // virsh, not the binding: a failed open in the binding can log to stderr and take seconds.
      execFile('virsh', ['-q', '-c', uri, 'uri'], { timeout: 5000, env: { ...process.env, LC_ALL: 'C' } }, (err) => resolve(!err));
    }),
};

/**
 * Resolves `libvirtUri`. Explicit URIs are used as given; `auto` picks KVM when it is usable
 * and libvirtd answers, QEMU/TCG when only libvirtd answers, and otherwise libvirt's test driver
 * on a node.xml generated in the state dir (its pool points at the `default` pool directory).
 */
export async function chooseHypervisor(config: AgentConfig, probes: ChoiceProbes = realProbes): Promise<HypervisorChoice> {
  const uri = config.libvirtUri;
  if (uri.startsWith('test:')) {
    return { uri, mode: 'test', domainType: 'qemu', reason: `HVS_LIBVIRT_URI=${uri} selects libvirt's test driver (no guests really run)` };
  }
  const kvm = await probes.kvmUsable();
  if (uri !== 'auto') {
    return kvm
      ? { uri, mode: 'kvm', domainType: 'kvm', reason: `HVS_LIBVIRT_URI=${uri}; /dev/kvm is usable (vmx/svm present)` }
      : { uri, mode: 'qemu', domainType: 'qemu', reason: `HVS_LIBVIRT_URI=${uri}; KVM is not usable (no read-write /dev/kvm or no vmx/svm), guests run under QEMU TCG emulation` };
  }
  if (await probes.libvirtdReachable(SYSTEM_URI)) {
    return kvm
      ? { uri: SYSTEM_URI, mode: 'kvm', domainType: 'kvm', reason: 'auto: libvirtd answers on qemu:///system and KVM is usable' }
      : { uri: SYSTEM_URI, mode: 'qemu', domainType: 'qemu', reason: 'auto: libvirtd answers on qemu:///system but KVM is not usable: QEMU TCG emulation (slow)' };
  }
  const poolDir = config.pools['default'] ?? Object.values(config.pools)[0];
  const testUri = await writeTestNode(join(config.stateDir, 'test-node.xml'), { poolDir });
  return {
    uri: testUri, mode: 'test', domainType: 'qemu',
    reason: `auto: no libvirtd answers on ${SYSTEM_URI}: using libvirt's test driver (${testUri}); no guest really runs. Start libvirtd or set HVS_LIBVIRT_URI=qemu:///system for real VMs`,
  };
}
