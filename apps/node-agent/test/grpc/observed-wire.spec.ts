import type { VmObservation } from '@hvs/domain';
import { agentv1 } from '@hvs/proto';
import { toWireAgentEvent, toWireVm, toWireVmEvent } from '../../src/grpc/observed-wire';
import type { HostReport } from '../../src/observed/host-report';

const vm: VmObservation = {
  name: 'web-1', uid: 'u1', phase: 'Failed', reason: 'LibvirtError', message: 'define failed: no space', ips: ['10.0.0.5'], node: 'node-1',
  observedGeneration: 3, pendingRestart: ['spec.memory.size'],
  error: { code: 'HVS-LIBVIRT-DEFINE-FAILED', message: 'define failed', why: 'no space', fix: 'free space in the pool' },
};
const host: HostReport = {
  facts: { hostname: '', cpus: 4, memoryBytes: 8 << 30, hugepages: [{ pageSizeKiB: 2048, total: 4, free: 2 }], kvmUsable: false, mode: 'test', uri: 'test:///x', pciDevices: [], iommuGroups: {} },
  pools: [{ name: 'default', path: '/p', capacityBytes: 10, availableBytes: 5, active: true }], agentVersion: '0.1.0', kernel: '6.1.0',
};

describe('observed state -> hvs.agent.v1 (the Watch edge)', () => {
  it('carries a VM event with its type from the one table (libs/proto vmEventTypes)', () => {
    expect(toWireVmEvent({ name: 'n', uid: 'u', type: 'Started', reason: 'booted', message: 'm', time: 't' })).toEqual({ name: 'n', uid: 'u', type: agentv1.VmEventType.STARTED, reason: 'booted', message: 'm', time: 't' });
  });

  it('carries a VM with its problem as an ErrorDetail (absent strings become empty)', () => {
    expect(toWireVm(vm)).toMatchObject({
      name: 'web-1', phase: 'Failed', observedGeneration: 3, pendingRestart: ['spec.memory.size'], ips: ['10.0.0.5'],
      error: { code: 'HVS-LIBVIRT-DEFINE-FAILED', path: '', message: 'define failed', why: 'no space', fix: 'free space in the pool' },
    });
    expect(toWireVm({ ...vm, error: undefined }).error).toBeUndefined();
  });

  it('turns each change into the AgentEvent case of the same name, keeping the sequence', () => {
    expect(toWireAgentEvent({ sequence: 7, change: { type: 'vm', vm } }, 'node-1')).toMatchObject({ sequence: 7, event: { $case: 'vm', value: { uid: 'u1' } } });
    expect(toWireAgentEvent({ sequence: 8, change: { type: 'vmRemoved', uid: 'u1', name: 'web-1', cleanedUp: true, volumesKept: false } }, 'node-1'))
      .toEqual({ sequence: 8, event: { $case: 'vmRemoved', value: { uid: 'u1', name: 'web-1', cleanedUp: true, volumesKept: false } } });
    const snap = toWireAgentEvent({ sequence: 9, change: { type: 'snapshot', snapshot: { host, vms: [vm], observedGeneration: 2, unmanagedDomains: ['legacy'], fencingToken: 4, networks: [], images: [] } } }, 'node-1');
    expect(snap).toMatchObject({
      sequence: 9,
      event: { $case: 'snapshot', value: { observedGeneration: 2, unmanagedDomains: ['legacy'], fencingToken: 4, fenced: false, vms: [{ uid: 'u1' }], host: { hostname: 'node-1', hypervisorMode: 'test', kernel: '6.1.0' } } },
    });
    const facts = toWireAgentEvent({ sequence: 10, change: { type: 'hostFacts', host } }, 'node-1');
    expect(facts.event).toMatchObject({ $case: 'hostFacts', value: { cpus: 4, hugepages: [{ pageSize: '2MiB', total: 4, free: 2 }], pools: [{ name: 'default', type: 'dir', active: true }] } });
  });
});
