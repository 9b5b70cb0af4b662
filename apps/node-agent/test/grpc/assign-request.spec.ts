/**
 * The Assign edge: the one validation of an Assign on the agent side and the one render of
 * each VM's XML, which travels on with the facts it was rendered for.
 */
import { renderDomainXml } from '@hvs/domain';
import { toProtoObject } from '@hvs/proto';
import { assignmentFacts, factsKey, type HostRenderFacts } from '../../src/domains/render-facts';
import { assignmentFromRequest } from '../../src/grpc/assign-request';
import { bridgeName } from '../../src/network/naming';
import { assignRequest, testVm } from '../support/fixtures';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const facts: HostRenderFacts = { domainType: 'qemu', pools: { default: { path: '/pools/default' } }, consoleListen: '127.0.0.1' };
const network = { apiVersion: 'hvs/v1' as const, kind: 'Network' as const, metadata: { name: 'lan' }, spec: { mode: 'bridge' as const, bridge: 'br0' } };

describe('assignmentFromRequest', () => {
  it('returns the domain assignment with each VM rendered once, for the facts the reconciler will compare', () => {
    const web = testVm('web-1', A, { disks: [{ name: 'root', size: '1GiB' }] });
    const req = { ...assignRequest([web, testVm('db-1', B)], 4, 9, 'node-1'), networks: [toProtoObject(network)], peers: [{ node: 'node-2', address: '10.0.0.2:7450' }], fenceAfterMs: 20_000 };
    const { assignment, peers, fenceAfterMs } = assignmentFromRequest(req, { nodeName: 'node-1', facts });
    expect(assignment).toMatchObject({ generation: 4, fencingToken: 9, networks: { lan: { bridge: 'br0' } } });
    expect(assignment.vms.map((v) => v.metadata.uid)).toEqual([A, B]);
    expect(peers).toEqual([{ node: 'node-2', address: '10.0.0.2:7450' }]);
    expect(fenceAfterMs).toBe(20_000);
    const f = assignmentFacts(facts, { lan: { bridge: 'br0' } });
    expect(assignment.rendered?.[A]).toEqual({ xml: renderDomainXml(assignment.vms[0], f), factsKey: factsKey(f) });
    expect(Object.keys(assignment.rendered ?? {})).toEqual([A, B]);
  });

  it('plugs nat/isolated/vxlan NICs into our bridge hvs-<hash> (with MTU and VLAN), and binds a Network sent without a binding', () => {
    const nets = [
      { ...network, metadata: { name: 'lab' }, spec: { mode: 'nat' as const, subnet: '10.77.0.0/24', vlan: 7 } },
      { ...network, metadata: { name: 'overlay' }, spec: { mode: 'vxlan' as const, subnet: '10.200.0.0/16', vxlan: { vni: 9 } } },
      { ...network, metadata: { name: 'direct' }, spec: { mode: 'bridge' as const, bridge: 'br-direct' } },
    ];
    const req = { ...assignRequest([], 2, 2, 'node-1'), networks: nets.map((n) => toProtoObject(n)) };
    const { assignment } = assignmentFromRequest(req, { nodeName: 'node-1', facts });
    expect(assignment.networks).toEqual({
      lab: { bridge: bridgeName('lab'), vlan: 7 },
      overlay: { bridge: bridgeName('overlay'), mtu: 1450 },
      direct: { bridge: 'br-direct' },
    });
    expect(assignment.networkBindings?.['lab']).toMatchObject({ reservations: [], vtepLocal: '', vtepPeers: [] });
  });

  it('refuses the whole Assign with every problem: schema, uid, duplicate and what only this host cannot render', () => {
    const bad = testVm('bad', 'cccccccc-0000-4000-8000-000000000003', { cores: 0 });
    const noPool = testVm('no-pool', 'dddddddd-0000-4000-8000-000000000004', { disks: [{ name: 'root', size: '1GiB', pool: 'fast' }] });
    const dup = testVm('web-1', A);
    let err: unknown;
    try {
      assignmentFromRequest(assignRequest([testVm('web-1', A), bad, noPool, dup], 1, 1, 'node-1'), { nodeName: 'node-1', facts });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ category: 'InvalidArgument', message: expect.stringContaining('nothing was applied') });
    const problems = (err as { problems: { code: string; path?: string }[] }).problems;
    expect(problems.map((p) => p.path?.split(' ')[0])).toEqual(expect.arrayContaining(['vms[1]', 'vms[2]', 'vms[3]']));
    expect(problems.map((p) => p.code)).toEqual(expect.arrayContaining(['HVS-XML-POOL-UNKNOWN', 'HVS-AGENT-VM-DUPLICATE']));
  });
});
