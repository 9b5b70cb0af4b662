import { MigrationStatusSchema, NodeStatusSchema, planObject, VirtualMachineStatusSchema, type VirtualMachine } from '@hvs/domain';
import { agentv1, fromProtoObject, fromProtoPlan, migrationStatusFromProgress, nodeStatusFromFacts, toProtoObject, toProtoPlan, v1, vmStatusFromObserved } from '@hvs/proto';
import { SAMPLES } from './samples';

const VM = SAMPLES[0] as VirtualMachine;

const facts: v1.HostFacts = {
  hostname: 'host-a', cpus: 16, memoryBytes: 68719476736, kvmUsable: false, hypervisorMode: 'qemu', libvirtUri: 'qemu:///system',
  hugepages: [{ pageSize: '2MiB', total: 512, free: 256 }],
  pciDevices: [{ pciAddress: '0000:01:00.0', vendorDevice: '10de:2204', iommuGroup: 14, description: 'GeForce RTX 3090', driver: 'vfio-pci' },
    { pciAddress: '0000:00:1f.0', vendorDevice: '8086:a304', iommuGroup: -1, description: '', driver: '' }],
  iommuGroups: [{ id: 14, pciAddresses: ['0000:01:00.0'] }],
  pools: [{ name: 'default', path: '/var/lib/hvs/pools/default', type: 'dir', capacityBytes: 1e12, availableBytes: 4e11, active: true }],
  agentVersion: '0.1.0', cpuModel: 'EPYC-Rome', kernel: '6.1.0-28-amd64', numaCells: 1,
  securityModels: [], apparmorEnabled: false, confinement: '',
};

const observed: agentv1.VmObserved = {
  name: 'web-1', uid: 'uid-web-1', phase: 'Running', reason: '', message: '', ips: ['10.0.0.5'], node: 'host-a', observedGeneration: 3,
  console: { type: 'vnc', host: '127.0.0.1', port: 5901, node: 'host-a', tlsPort: 0 }, pendingRestart: [], interfaces: [],
};

const wire = <T>(fns: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }, m: T): T => fns.decode(fns.encode(m).finish());

describe('agent messages', () => {
  const events: agentv1.AgentEvent[] = [
    { sequence: 1, event: { $case: 'snapshot', value: { host: facts, vms: [observed], observedGeneration: 7, unmanagedDomains: ['legacy'], fencingToken: 1042, fenced: false, networks: [], images: [] } } },
    { sequence: 2, event: { $case: 'vm', value: observed } },
    { sequence: 3, event: { $case: 'vmEvent', value: { name: 'web-1', uid: 'uid-web-1', type: agentv1.VmEventType.CRASHED, reason: 'Crashed', message: 'qemu exited', time: '2025-01-02T03:04:05Z' } } },
    { sequence: 4, event: { $case: 'hostFacts', value: facts } },
    { sequence: 5, event: { $case: 'vmRemoved', value: { name: 'web-1', uid: 'uid-web-1', cleanedUp: true, volumesKept: false } } },
  ];
  it.each(events.map((e) => [e.event!.$case, e] as const))('AgentEvent %s survives the wire', (_c, ev) => {
    expect(wire(agentv1.AgentEvent, ev)).toStrictEqual(agentv1.AgentEvent.fromPartial(ev));
  });

  it('Assign carries the VM envelope and secrets unchanged', () => {
    const req: agentv1.AssignRequest = {
      node: 'host-a', generation: 7, fencingToken: 1042, fenceAfterMs: 15000,
      vms: [{ vm: toProtoObject(VM), secrets: { 'ssh-key': Buffer.from([1, 2, 3]) }, firewallPolicies: ['web'], nics: [], imageDigests: {} }],
      networks: [toProtoObject(SAMPLES[2])], firewallPolicies: [toProtoObject(SAMPLES[3])], images: [], storagePools: [],
      peers: [{ node: 'host-b', address: '10.0.0.3:7443' }], networkBindings: [],
    };
    const back = wire(agentv1.AssignRequest, req);
    expect(fromProtoObject(back.vms[0].vm!)).toStrictEqual(VM);
    expect(Buffer.from(back.vms[0].secrets['ssh-key'])).toEqual(Buffer.from([1, 2, 3]));
    expect(back.fencingToken).toBe(1042);
  });
});

describe('observed state -> status', () => {
  it('host facts give a schema-valid Node status (no iommu group reads as absent)', () => {
    const s = nodeStatusFromFacts(facts);
    expect(NodeStatusSchema.safeParse(s).error?.issues).toBeUndefined();
    expect(s.devices[1]).toStrictEqual({ pciAddress: '0000:00:1f.0', vendorDevice: '8086:a304' });
    expect(s.hypervisor).toEqual({ mode: 'qemu', uri: 'qemu:///system' });
    expect(nodeStatusFromFacts({ ...facts, hypervisorMode: 'xen' }).hypervisor.mode).toBe('qemu');
  });

  it('says whether the node confines its VMs (sVirt) when the agent reports security models', () => {
    const confined = nodeStatusFromFacts({ ...facts, securityModels: ['apparmor', 'dac'], apparmorEnabled: true, confinement: 'apparmor' });
    expect(NodeStatusSchema.safeParse(confined).error?.issues).toBeUndefined();
    expect(confined.hypervisor.confinement).toStrictEqual({ confined: true, model: 'apparmor', securityModels: ['apparmor', 'dac'], apparmorEnabled: true });
    const open = nodeStatusFromFacts({ ...facts, securityModels: ['dac'], confinement: '' });
    expect(open.hypervisor.confinement).toStrictEqual({ confined: false, securityModels: ['dac'], apparmorEnabled: false });
    expect(nodeStatusFromFacts({ ...facts, securityModels: ['smack'], confinement: 'smack' }).hypervisor.confinement).toMatchObject({ confined: false });
  });

  it('VmObserved gives a schema-valid VM status; an unknown phase reads as Unknown', () => {
    const s = vmStatusFromObserved(observed);
    expect(VirtualMachineStatusSchema.safeParse(s).error?.issues).toBeUndefined();
    expect(s).toStrictEqual({ phase: 'Running', node: 'host-a', observedGeneration: 3, ips: ['10.0.0.5'], console: { type: 'vnc', host: '127.0.0.1', port: 5901 } });
    expect(vmStatusFromObserved({ ...observed, phase: 'Hibernating' }).phase).toBe('Unknown');
  });

  it('VmObserved interfaces become status.interfaces (empty fields left out, unknown source dropped); ips derived when the agent sends none', () => {
    const interfaces = [
      { name: 'eth0', mac: '52:54:00:ab:cd:ef', network: 'lan', ipv4: '10.88.0.100', ipv6: ['fd00::64'], source: 'lease', dnsName: 'web-1.lan' },
      { name: 'eth1', mac: '52:54:00:ab:cd:f0', network: 'br0', ipv4: '', ipv6: [], source: 'arp', dnsName: '' },
    ];
    const s = vmStatusFromObserved({ ...observed, ips: [], interfaces });
    expect(VirtualMachineStatusSchema.safeParse(s).error?.issues).toBeUndefined();
    expect(s.interfaces).toStrictEqual([
      { name: 'eth0', mac: '52:54:00:ab:cd:ef', network: 'lan', ipv4: '10.88.0.100', ipv6: ['fd00::64'], source: 'lease', dnsName: 'web-1.lan' },
      { name: 'eth1', mac: '52:54:00:ab:cd:f0', network: 'br0' },
    ]);
    expect(s.ips).toStrictEqual(['10.88.0.100', 'fd00::64']);
    expect(vmStatusFromObserved({ ...observed, interfaces }).ips).toStrictEqual(['10.0.0.5']);
    expect(vmStatusFromObserved({ ...observed, ips: [], interfaces: [] })).not.toHaveProperty('interfaces');
    // A malformed address (it comes from the guest) is dropped rather than failing the status write.
    const odd = vmStatusFromObserved({ ...observed, ips: [], interfaces: [{ ...interfaces[0], ipv4: '10.0.0.999', ipv6: ['fe80::1%eth0', 'fd00::1'] }] });
    expect(VirtualMachineStatusSchema.safeParse(odd).error?.issues).toBeUndefined();
    expect(odd.interfaces?.[0]).toMatchObject({ ipv6: ['fd00::1'] });
    expect(odd.interfaces?.[0]).not.toHaveProperty('ipv4');
  });

  it('migration progress gives schema-valid Migration status fields', () => {
    const s = migrationStatusFromProgress({ phase: 'Completed', dataTotal: 100, dataProcessed: 100, dataRemaining: 0, dirtyRate: 5, iteration: 3, downtimeMs: 42, elapsedMs: 900 });
    expect(MigrationStatusSchema.safeParse(s).error?.issues).toBeUndefined();
    expect(s).toEqual({ progress: { bytesTotal: 100, bytesDone: 100, dirtyRate: 5 }, downtimeMs: 42 });
  });
});

describe('plan converters', () => {
  it('a domain plan survives the wire, with the strongest effect on the object', () => {
    const desired = { ...VM, spec: { ...VM.spec, memory: { size: '16GiB' }, cloudInit: { userData: '#cloud-config\n' } }, metadata: { ...VM.metadata, labels: { app: 'web' } } };
    const plan = planObject(VM, desired as VirtualMachine);
    expect(plan.changes.length).toBeGreaterThan(1);
    const pb = wire(v1.ObjectPlan, toProtoPlan(plan));
    expect(fromProtoPlan(pb)).toStrictEqual(plan);
    expect(pb.effect).toBe(v1.ChangeEffect.RESTART);
    expect(JSON.stringify(pb)).not.toContain('#cloud-config');
  });

  it('an unchanged plan has effect NONE; an unknown effect reads as restart', () => {
    expect(toProtoPlan(planObject(VM, VM)).effect).toBe(v1.ChangeEffect.NONE);
    const odd = { kind: 'VirtualMachine', name: 'x', action: v1.PlanAction.UPDATE, effect: 99 as v1.ChangeEffect,
      changes: [{ path: 'spec.x', oldJson: '1', newJson: '2', effect: 99 as v1.ChangeEffect, note: '', sensitive: false }] };
    expect(fromProtoPlan(odd).changes[0].effect).toBe('restart');
  });
});
