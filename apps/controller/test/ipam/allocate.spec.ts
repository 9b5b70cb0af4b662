// The pure IPAM decisions: which records an apply writes (allocate.ts), the address arithmetic
// (ipv4.ts) and Network defaults (network-admission.ts). The etcd side: ipam-apply.medium.spec.ts.
import type { Network, NetworkSpec } from '@hvs/domain';
import { addressKey, admitNetworks, capacityOf, decideReservations, macKey, macOf, rangeOf, type Reservation, type VmNics } from '../../src/ipam';
import type { RecordOp } from '../../src/store';

const LAN: NetworkSpec = { mode: 'nat', subnet: '10.0.0.0/29', gateway: '10.0.0.1' };
const nets = new Map<string, NetworkSpec>([['lan', LAN], ['br', { mode: 'bridge', bridge: 'br0' }]]);
const vm = (name: string, nics: VmNics['nics']): VmNics => ({ name, uid: `u-${name}`, nics });
const nic = (network: string, extra: Partial<VmNics['nics'][number]> = {}) => ({ name: 'eth0', network, ...extra });
const asReservations = (ops: RecordOp[]): Reservation[] => ops.flatMap((o) => {
  if (o.op !== 'put') return [];
  const v = o.value as Reservation;
  const ip = /\/(\d+\.\d+\.\d+\.\d+)$/.exec(o.key)?.[1];
  return [{ ...v, network: o.key.split('/')[4]!, ...(ip ? { ipv4: ip } : {}), key: o.key, version: '1' }];
});

describe('decideReservations', () => {
  it('hands out the lowest free addresses, skipping the gateway, until the range is exhausted', () => {
    expect(capacityOf(rangeOf(LAN)!)).toBe(5);
    const d = decideReservations({ vms: ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => vm(n, [nic('lan')])), networks: nets, reservations: [], randomMacTail: (() => { let i = 0; return () => i++; })() });
    expect(d.records.map((r) => r.key)).toEqual(['.2', '.3', '.4', '.5', '.6'].map((x) => addressKey('lan', `10.0.0${x}`)));
    expect(d.problems.map((p) => [p.code, p.message])).toEqual([['HVS-NET-RANGE-EXHAUSTED', expect.stringMatching(/VirtualMachine f: .*all 5/)]]);
  });

  it('draws MACs again until unique in the cluster, and keeps spec and reserved MACs', () => {
    const existing = asReservations(decideReservations({ vms: [vm('a', [nic('lan')])], networks: nets, reservations: [], randomMacTail: () => 1 }).records);
    expect(existing[0]!.mac).toBe(macOf(1));
    const tails = [1, 1, 2];
    const d = decideReservations({ vms: [vm('b', [nic('lan')]), vm('c', [nic('lan', { mac: '52:54:00:AA:BB:CC' })])], networks: nets, reservations: existing, randomMacTail: () => tails.shift()! });
    expect(d.records.map((r) => (r.op === 'put' ? (r.value as Reservation).mac : ''))).toEqual([macOf(2), '52:54:00:aa:bb:cc']);
  });

  it('is idempotent: a VM with its reservations writes nothing; a renamed NIC moves its reservation in one decision', () => {
    const first = asReservations(decideReservations({ vms: [vm('a', [nic('lan'), { name: 'eth1', network: 'br' }])], networks: nets, reservations: [] }).records);
    expect(first.map((r) => r.key)).toEqual([addressKey('lan', '10.0.0.2'), macKey('br', 'u-a', 'eth1')]);
    expect(decideReservations({ vms: [vm('a', [nic('lan'), { name: 'eth1', network: 'br' }])], networks: nets, reservations: first }).records).toEqual([]);
    const renamed = decideReservations({ vms: [vm('a', [{ name: 'wan', network: 'lan' }])], networks: nets, reservations: first });
    expect(renamed.records.map((r) => [r.op, r.key, r.expect])).toEqual([
      ['put', addressKey('lan', '10.0.0.3'), null],
      ['remove', addressKey('lan', '10.0.0.2'), '1'],
      ['remove', macKey('br', 'u-a', 'eth1'), '1'],
    ]);
  });

  it('two NICs of one batch asking for the same address: the second is ADDRESS-TAKEN naming the first', () => {
    const d = decideReservations({ vms: [vm('a', [nic('lan', { ip: '10.0.0.4' })]), vm('b', [nic('lan', { ip: '10.0.0.4' })])], networks: nets, reservations: [] });
    expect(d.problems.map((p) => [p.code, p.message])).toEqual([['HVS-NET-ADDRESS-TAKEN', expect.stringMatching(/VirtualMachine a \(NIC eth0\)/)]]);
  });
});

describe('admitNetworks', () => {
  const network = (name: string, spec: NetworkSpec): Network => ({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name }, spec });
  it('fills subnet and gateway of routed Networks only, never the one another document asks for', () => {
    const r = admitNetworks({
      batch: [{ desired: network('auto', { mode: 'nat' }), current: undefined }, { desired: network('fixed', { mode: 'nat', subnet: '10.88.0.0/24' }), current: undefined },
        { desired: network('br', { mode: 'bridge', bridge: 'br0' }), current: undefined }],
      stored: [], nodes: [], reserved: new Set(),
    });
    expect(r.problems).toEqual([]);
    expect(r.networks.map((n) => [n.spec.subnet, n.spec.gateway])).toEqual([['10.88.1.0/24', '10.88.1.1'], ['10.88.0.0/24', '10.88.0.1'], [undefined, undefined]]);
  });
});
