import { join } from 'node:path';
import { decideHypervisor, SYSTEM_LIBVIRT_URI, type HypervisorMode } from '@hvs/domain';
import { probeHypervisorFacts, realHypervisorProbes, type HypervisorProbes } from '@hvs/host';
import { writeTestNode } from '../hypervisor';
import type { AgentConfig } from './config';

/** Which libvirt connection the agent uses, with the reason it is logged and diagnosed with. */
export interface HypervisorChoice {
  uri: string;
  mode: HypervisorMode;
  /** `<domain type=...>` the renderer writes (the test driver accepts `qemu`). */
  domainType: 'kvm' | 'qemu';
  reason: string;
}

export type ChoiceProbes = HypervisorProbes;
export const SYSTEM_URI = SYSTEM_LIBVIRT_URI;

/**
 * Resolves `libvirtUri` with the suite's one rule (decideHypervisor in @hvs/domain, shared
 * with hvctl; probes from @hvs/host). A `test:` URI is used as given; any other explicit URI
 * is a real libvirtd, with KVM when usable and QEMU/TCG otherwise; `auto` takes the same when
 * libvirtd answers on qemu:///system, and otherwise libvirt's test driver on a node.xml
 * generated in the state dir (its pool points at the `default` pool directory).
 */
export async function chooseHypervisor(config: AgentConfig, probes: ChoiceProbes = realHypervisorProbes): Promise<HypervisorChoice> {
  const uri = config.libvirtUri;
  if (uri.startsWith('test:')) {
    return { uri, mode: 'test', domainType: 'qemu', reason: `HVS_LIBVIRT_URI=${uri} selects libvirt's test driver (no guests really run)` };
  }
  if (uri !== 'auto') {
    const d = decideHypervisor('kvm', { kvmUsable: await probes.kvmUsable(), libvirtdReachable: true });
    return { uri, mode: d.mode, domainType: d.domainType, reason: `HVS_LIBVIRT_URI=${uri}; ${d.reason}` };
  }
  const d = decideHypervisor('auto', await probeHypervisorFacts(probes));
  if (d.mode !== 'test') return { uri: SYSTEM_URI, mode: d.mode, domainType: d.domainType, reason: `auto: ${d.reason}` };
  const poolDir = config.pools['default'] ?? Object.values(config.pools)[0];
  const testUri = await writeTestNode(join(config.stateDir, 'test-node.xml'), { poolDir });
  return {
    uri: testUri, mode: 'test', domainType: 'qemu',
    reason: `auto: ${d.reason} (${testUri}). Start libvirtd or set HVS_LIBVIRT_URI=qemu:///system for real VMs`,
  };
}
