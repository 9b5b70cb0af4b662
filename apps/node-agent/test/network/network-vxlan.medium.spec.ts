/**
 * A vxlan Network between two "nodes" (network namespaces joined by a veth underlay), each
 * realised by its own HostNetworkDriver: each node's dnsmasq hands its own guest its reservation
 * (and ignores the other's DISCOVER, which crosses the overlay), the two guests ping each other
 * across the overlay, both bridges carry the same gateway MAC, FDB entries follow the peer list,
 * and removal leaves nothing.
 */
import { join } from 'node:path';
import { addVethPair, mustRun } from '../../../../test/harness/netns';
import { describeWhen } from '../../../../test/harness/tiers';
import { HostNetworkDriver } from '../../src/network/host-driver';
import { bridgeName, gatewayMac, vxlanName } from '../../src/network/naming';
import { renderNftRuleset } from '../../src/network/nft-ruleset';
import { planNetwork } from '../../src/network/plan';
import { binding, network, reservation } from './fixtures';
import { NetLab, netnsGate } from './support/net-lab';

jest.setTimeout(60_000);

const OVERLAY = network('overlay', { mode: 'vxlan', subnet: '10.94.0.0/24', vxlan: { vni: 4242 } });
const MAC_A = '52:54:00:94:00:10';
const MAC_B = '52:54:00:94:00:11';
const VTEP_A = '10.93.0.1';
const VTEP_B = '10.93.0.2';

describeWhen(netnsGate.ok, netnsGate.why)('vxlan Network across two namespaces', () => {
  let lab: NetLab;
  const nodes: Record<'a' | 'b', { ns: string; driver: HostNetworkDriver; state: string }> = {} as never;

  const overlayOn = (node: 'a' | 'b', peers: string[]) => planNetwork(binding(OVERLAY, [
    reservation('ga-1', '10.94.0.10', MAC_A, node === 'a'),
    reservation('gb-1', '10.94.0.11', MAC_B, node === 'b'),
  ], { local: node === 'a' ? VTEP_A : VTEP_B, peers }), nodes[node].state);

  beforeAll(async () => {
    lab = await NetLab.create(['a', 'b', 'ga', 'gb']);
    for (const n of ['a', 'b'] as const) {
      const state = join(lab.dir, n);
      nodes[n] = { ns: lab.ns(n), state, driver: new HostNetworkDriver({ stateDir: state, netns: lab.ns(n) }) };
    }
    await addVethPair({ netns: lab.ns('a'), device: 'ua', address: `${VTEP_A}/24` }, { netns: lab.ns('b'), device: 'ub', address: `${VTEP_B}/24` });
  });

  afterAll(() => lab?.close());

  it('realises the overlay on both nodes: bridge with the shared gateway MAC, vxlan device enslaved, one FDB entry per peer', async () => {
    for (const [n, peer] of [['a', VTEP_B], ['b', VTEP_A]] as const) {
      const plan = overlayOn(n, [VTEP_A, VTEP_B, peer]);
      const r = await nodes[n].driver.realise(plan);
      // With the node's table in place (it drops routing into and out of the overlay, never bridging).
      await nodes[n].driver.applyRuleset(renderNftRuleset([plan]));
      expect(r).toMatchObject({ reason: 'Realised', message: expect.stringContaining('VNI 4242, 1 peer(s)') });
      const [br] = JSON.parse(await mustRun('ip', ['-n', nodes[n].ns, '-j', 'link', 'show', 'dev', bridgeName('overlay')])) as { address: string; mtu: number }[];
      expect(br).toMatchObject({ address: gatewayMac('overlay'), mtu: 1450 });
      const [vx] = JSON.parse(await mustRun('ip', ['-n', nodes[n].ns, '-j', '-d', 'link', 'show', 'dev', vxlanName('overlay')])) as { master: string; ifalias: string; linkinfo: { info_data: { id: number; port: number } } }[];
      expect(vx).toMatchObject({ master: bridgeName('overlay'), ifalias: 'hvs:overlay', linkinfo: { info_data: { id: 4242, port: 4789 } } });
      const fdb = JSON.parse(await mustRun('ip', ['netns', 'exec', nodes[n].ns, 'bridge', '-j', 'fdb', 'show', 'dev', vxlanName('overlay')])) as { mac: string; dst?: string }[];
      expect(fdb.filter((e) => e.mac === '00:00:00:00:00:00').map((e) => e.dst)).toEqual([peer]);
    }
  });

  it('each node offers only its own guest its reservation, and the guests ping each other across the overlay', async () => {
    await lab.plugGuest(nodes.a.ns, bridgeName('overlay'), lab.ns('ga'), 'gva', MAC_A);
    await lab.plugGuest(nodes.b.ns, bridgeName('overlay'), lab.ns('gb'), 'gvb', MAC_B);
    // Both DISCOVERs reach both dnsmasqs (broadcast crosses the overlay); only the owner's node answers.
    expect(await lab.dhcpOffer(lab.ns('ga'), 'gva', MAC_A, 5)).toBe('10.94.0.10');
    expect(await lab.dhcpOffer(lab.ns('gb'), 'gvb', MAC_B, 5)).toBe('10.94.0.11');
    for (const [g, dev, ip] of [['ga', 'gva', '10.94.0.10'], ['gb', 'gvb', '10.94.0.11']] as const) {
      await mustRun('ip', ['-n', lab.ns(g), 'link', 'set', 'dev', dev, 'mtu', '1450']);
      await mustRun('ip', ['-n', lab.ns(g), 'addr', 'add', `${ip}/24`, 'dev', dev]);
    }
    expect(await lab.ping(lab.ns('ga'), '10.94.0.11', 3)).toBe(3);
    // Full-size frames (1450 MTU: 1422 bytes of ICMP payload) cross the overlay unfragmented.
    expect(await lab.ping(lab.ns('gb'), '10.94.0.10', 1, 1422)).toBe(1);
    // The distributed gateway answers on each node.
    expect(await lab.ping(lab.ns('gb'), '10.94.0.1', 1)).toBe(1);
    // Nothing is routed out of the overlay: with routing on and a default route, the other node's
    // underlay address answers without our table and not with it.
    await mustRun('ip', ['-n', lab.ns('gb'), 'route', 'add', 'default', 'via', '10.94.0.1']);
    await mustRun('ip', ['netns', 'exec', nodes.b.ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await nodes.b.driver.applyRuleset(undefined);
    expect(await lab.ping(lab.ns('gb'), '10.93.0.1', 1)).toBe(1);
    await nodes.b.driver.applyRuleset(renderNftRuleset([overlayOn('b', [VTEP_A])]));
    expect(await lab.ping(lab.ns('gb'), '10.93.0.1', 1)).toBe(0);
  });

  it('FDB entries follow the peer list, and removal on both nodes leaves no bridge, vxlan device or dnsmasq', async () => {
    await nodes.a.driver.realise(overlayOn('a', []));
    const fdb = JSON.parse(await mustRun('ip', ['netns', 'exec', nodes.a.ns, 'bridge', '-j', 'fdb', 'show', 'dev', vxlanName('overlay')])) as { mac: string }[];
    expect(fdb.filter((e) => e.mac === '00:00:00:00:00:00')).toEqual([]);
    for (const n of ['a', 'b'] as const) {
      await nodes[n].driver.remove('overlay');
      const links = JSON.parse(await mustRun('ip', ['-n', nodes[n].ns, '-j', 'link', 'show'])) as { ifname: string }[];
      expect(links.map((l) => l.ifname).filter((i) => i.startsWith('hvs-') || i.startsWith('hvx-'))).toEqual([]);
      expect((await mustRun('ip', ['netns', 'pids', nodes[n].ns])).trim()).toBe('');
      expect(await nodes[n].driver.present()).toEqual([]);
    }
  });
});
