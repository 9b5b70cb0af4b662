/**
 * Agent.SampleDirtyRate: the source's half of a migration estimate. Only a VM assigned to this
 * node is measured (an agent affects its own host only); the hypervisor's dirty-rate ability
 * does the work (hypervisor/dirty-rate.ts). Throws HvsError: HVS-AGENT-VM-NOT-FOUND,
 * HVS-LIBVIRT-UNSUPPORTED (no such ability here, e.g. libvirt's test driver), and whatever the
 * driver throws (HVS-LIBVIRT-*). Read-only: nothing on the host changes.
 */
import { domainName, HvsError } from '@hvs/domain';
import { isDirtyRateSampling, type HypervisorDriver } from '../hypervisor';
import type { AssignmentStore } from '../state/assignment-store';

export async function sampleDirtyRate(
  driver: HypervisorDriver, store: Pick<AssignmentStore, 'desiredVms'>, nodeName: string, req: { vmUid: string; vmName: string; seconds: number },
): Promise<{ bytesPerSecond: number; periodSeconds: number; mode: string }> {
  const vm = store.desiredVms().find((v) => (req.vmUid ? v.metadata.uid === req.vmUid : v.metadata.name === req.vmName));
  const uid = vm?.metadata.uid;
  if (!uid) {
    throw new HvsError({
      code: 'HVS-AGENT-VM-NOT-FOUND', category: 'NotFound', message: `VM ${req.vmName || req.vmUid || '(no name)'} is not assigned to node ${nodeName}`,
      why: 'an agent measures only the VMs assigned to its own host', fix: 'check the VM\'s node with `hvctl get vm`',
    });
  }
  if (!isDirtyRateSampling(driver)) {
    throw new HvsError({
      code: 'HVS-LIBVIRT-UNSUPPORTED', category: 'FailedPrecondition', message: `node ${nodeName} cannot measure a dirty rate`,
      why: 'its hypervisor has no dirty-rate ability (libvirt\'s test driver runs no QEMU)', fix: 'none needed: the migration estimate assumes a rate; run the agent on real libvirt/QEMU to measure it',
    });
  }
  const s = await driver.sampleDirtyRate(domainName(uid), req.seconds > 0 ? Math.min(60, req.seconds) : 1);
  return { bytesPerSecond: Math.round(s.bytesPerSecond), periodSeconds: s.periodSeconds, mode: s.mode };
}
