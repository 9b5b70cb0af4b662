// The network part of a node's Assign (pure): NIC bindings from the reservations, the VM's MAC
// filled in, per-Network bindings with every reservation (local ones flagged), VTEPs for vxlan,
// Networks of VMs migrating in, and a hash that does not depend on input order.
import type { Migration, Network, VirtualMachine } from '@hvs/domain';
import type { agentv1 } from '@hvs/proto';
import { buildAssignment } from '../../src/dispatch/assignment';
import { scopeOf, type ScopeSources } from '../../src/dispatch/assignment-scope';
import { hostOf } from '../../src/dispatch/network-bindings';
import { addressKey, macKey, type Reservation } from '../../src/ipam';
import { vmDoc } from '../runtime/fixtures';

const network = (name: string, spec: Network['spec']): Network => ({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name }, spec });
const LAN = network('lan', { mode: 'nat', subnet: '10.10.0.0/24', gateway: '10.10.0.1', dns: { domain: 'lab.test' } });
const OVERLAY = network('overlay', { mode: 'vxlan', subnet: '10.20.0.0/16', gateway: '10.20.0.1', vxlan: { vni: 42 } });
const UPLINK = network('uplink', { mode: 'bridge', bridge: 'br0' });

function vm(name: string, uid: string, node: string | undefined, nets: string[], addressing?: 'static'): VirtualMachine {
  const v = vmDoc(name, { node, networks: nets });
  return { ...v, metadata: { ...v.metadata, uid }, spec: { ...v.spec, networks: v.spec.networks.map((n) => ({ ...n, ...(addressing ? { addressing } : {}) })) } };
}

function res(network: string, ip: string | undefined, v: VirtualMachine, nic: string, mac: string): Reservation {
  return { network, ...(ip ? { ipv4: ip } : {}), vm: v.metadata.name, vmUid: v.metadata.uid!, nic, mac, key: ip ? addressKey(network, ip) : macKey(network, v.metadata.uid!, nic), version: '7' };
}

const web = vm('web', 'u-web', 'a', ['lan', 'uplink']);
const db = vm('db', 'u-db', 'a', ['overlay'], 'static');
const far = vm('far', 'u-far', 'b', ['overlay']);
const moving = vm('moving', 'u-moving', 'b', ['lan']);
const RES = [
  res('lan', '10.10.0.2', web, 'nic0', '52:54:00:00:00:01'),
  res('uplink', undefined, web, 'nic1', '52:54:00:00:00:02'),
  res('overlay', '10.20.0.5', db, 'nic0', '52:54:00:00:00:03'),
  res('overlay', '10.20.0.2', far, 'nic0', '52:54:00:00:00:04'),
  res('lan', '10.10.0.3', moving, 'nic0', '52:54:00:00:00:05'),
];

function sources(order: 1 | -1 = 1, migrations: Migration[] = []): ScopeSources {
  const all = [web, db, far, moving];
  const reservations = order === 1 ? RES : [...RES].reverse();
  return {
    vms: order === 1 ? all : [...all].reverse(),
    networks: new Map([LAN, OVERLAY, UPLINK].map((n) => [n.metadata.name, n])),
    reservations: { ofNetwork: (n) => reservations.filter((r) => r.network === n).sort((x, y) => (x.ipv4 ?? '').localeCompare(y.ipv4 ?? '', 'en', { numeric: true })) },
    migrations,
    allVms: new Map(all.map((v) => [v.metadata.name, v])),
  };
}

const PEERS: agentv1.Peer[] = [{ node: 'c', address: '192.0.2.30:7443' }, { node: 'b', address: '192.0.2.20:7443' }];
const assign = (node: string, s: ScopeSources) => buildAssignment({ node, scope: scopeOf(node, s), peers: PEERS, address: '192.0.2.10:7443' });

describe('network bindings in the Assign', () => {
  it('binds each NIC to its reservation: MAC, address, prefix, gateway, DNS name and server; bridge NICs get only the MAC', () => {
    const a = assign('a', sources());
    const w = a.request.vms.find((v) => v.vm!.metadata!.name === 'web')!;
    expect(w.nics).toEqual([
      { name: 'nic0', network: 'lan', mac: '52:54:00:00:00:01', ipv4: '10.10.0.2', prefixLength: 24, gateway: '10.10.0.1', dnsName: 'web.lab.test', static: false, dnsServers: ['10.10.0.1'] },
      { name: 'nic1', network: 'uplink', mac: '52:54:00:00:00:02', ipv4: '', prefixLength: 0, gateway: '', dnsName: '', static: false, dnsServers: [] },
    ]);
    const d = a.request.vms.find((v) => v.vm!.metadata!.name === 'db')!;
    expect(d.nics[0]).toMatchObject({ ipv4: '10.20.0.5', prefixLength: 16, dnsName: 'db.overlay', static: true });
    // The VM object the agent renders carries the reserved MACs.
    const spec = JSON.parse(w.vm!.specJson) as VirtualMachine['spec'];
    expect(spec.networks.map((n) => n.mac)).toEqual(['52:54:00:00:00:01', '52:54:00:00:00:02']);
  });

  it('one NetworkBinding per Network used: every reservation cluster-wide, local = bound here; vxlan VTEPs = this node and every peer', () => {
    const a = assign('a', sources());
    expect(a.request.networkBindings.map((b) => b.network)).toEqual(['lan', 'overlay', 'uplink']);
    const [lan, overlay, uplink] = a.request.networkBindings;
    expect(lan!.reservations.map((r) => [r.vm, r.ipv4, r.dnsName, r.local])).toEqual([['web', '10.10.0.2', 'web.lab.test', true], ['moving', '10.10.0.3', 'moving.lab.test', false]]);
    expect(overlay!.reservations.map((r) => [r.vm, r.ipv4, r.local])).toEqual([['far', '10.20.0.2', false], ['db', '10.20.0.5', true]]);
    expect([overlay!.vtepLocal, overlay!.vtepPeers]).toEqual(['192.0.2.10', ['192.0.2.20', '192.0.2.30']]);
    expect([lan!.vtepLocal, lan!.vtepPeers]).toEqual(['', []]);
    expect(uplink!.reservations).toEqual([]);
  });

  it('the target of a migration gets the moving VM\'s Networks, its reservation served locally there', () => {
    const m: Migration = { apiVersion: 'hvs/v1', kind: 'Migration', metadata: { name: 'm1' }, spec: { vm: 'moving', mode: 'live' }, status: { phase: 'Pending', targetNode: 'c' } };
    expect(assign('c', sources()).request.networkBindings).toEqual([]);
    const c = assign('c', sources(1, [m]));
    expect(c.request.vms).toEqual([]);
    expect(c.request.networks.map((n) => n.metadata!.name)).toEqual(['lan']);
    expect(c.request.networkBindings[0]!.reservations.find((r) => r.vm === 'moving')!.local).toBe(true);
    const done: Migration = { ...m, status: { phase: 'Succeeded', targetNode: 'c' } };
    expect(assign('c', sources(1, [done])).request.networks).toEqual([]);
  });

  it('is deterministic: the same content in another order hashes the same; a reservation change changes it', () => {
    expect(assign('a', sources(-1)).hash).toBe(assign('a', sources()).hash);
    const changed = sources();
    const base = changed.reservations!;
    changed.reservations = { ofNetwork: (n) => base.ofNetwork(n).map((r) => (r.vm === 'far' ? { ...r, ipv4: '10.20.0.9' } : r)) };
    expect(assign('a', changed).hash).not.toBe(assign('a', sources()).hash);
  });

  it('takes the host part of a node address for the VTEP', () => {
    expect(['10.0.0.5:7443', '[fd00::1]:7443', 'node-a:7443', '10.0.0.5'].map(hostOf)).toEqual(['10.0.0.5', 'fd00::1', 'node-a', '10.0.0.5']);
  });
});
