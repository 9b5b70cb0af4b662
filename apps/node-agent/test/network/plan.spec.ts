/**
 * The pure plan of a Network on a node, golden-tested as text: the commands that build it, the
 * dnsmasq files and the nft ruleset (test/network/golden/<case>.txt).
 *
 * To accept an intended change, regenerate and review the diff:
 *   UPDATE_GOLDEN=1 npx jest -c apps/node-agent/jest.config.js apps/node-agent/test/network/plan.spec.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderNftRuleset } from '../../src/network/nft-ruleset';
import { planNetwork, type NetworkPlan } from '../../src/network/plan';
import { binding, network, reservation } from './fixtures';

const STATE = '/var/lib/hvs/agent';
const update = process.env['UPDATE_GOLDEN'] === '1';

function asText(plan: NetworkPlan): string {
  const out = [`# plan of ${plan.network} (${plan.mode}): bridge ${plan.bridge}, owned ${plan.owned}, mtu ${plan.mtu}${plan.mac ? `, mac ${plan.mac}` : ''}`, '## commands'];
  out.push(...plan.commands.map((c) => c.join(' ')));
  if (plan.dnsmasq) out.push(`## ${plan.dnsmasq.dir}/dnsmasq.conf`, plan.dnsmasq.files.conf, '## hosts', plan.dnsmasq.files.hosts, '## addn-hosts', plan.dnsmasq.files.addnHosts);
  out.push('## nft', renderNftRuleset([plan]) ?? '(no table)');
  return out.join('\n');
}

const CASES: Record<string, NetworkPlan> = {
  nat: planNetwork(binding(network('lab', { mode: 'nat', subnet: '10.77.0.0/24', portForwards: [
    { protocol: 'tcp', hostPort: 2222, vm: 'web-1', port: 22 },
    { protocol: 'udp', hostPort: 5353, vm: 'web-1', port: 53 },
    // db-1 runs on another node: its forward is realised there, not here.
    { protocol: 'tcp', hostPort: 5432, vm: 'db-1', port: 5432 },
  ] }), [
    reservation('web-1', '10.77.0.10', '52:54:00:AB:CD:01'),
    reservation('web-1', '10.77.0.11', '52:54:00:ab:cd:02', true, 'eth1'),
    reservation('db-1', '10.77.0.2', '52:54:00:ab:cd:03', false),
  ]), STATE),
  isolated: planNetwork(binding(network('backend', { mode: 'isolated', subnet: '192.168.50.0/26', gateway: '192.168.50.62', dns: { domain: 'internal' } }), [
    reservation('api-1', '192.168.50.5', '52:54:00:00:00:05'),
  ]), STATE),
  vxlan: planNetwork(binding(network('overlay', { mode: 'vxlan', subnet: '10.200.0.0/16', vxlan: { vni: 4242 } }), [
    reservation('a-1', '10.200.0.10', '52:54:00:00:01:0a'),
    reservation('b-1', '10.200.0.11', '52:54:00:00:01:0b', false),
  ], { local: '192.0.2.1', peers: ['192.0.2.3', '192.0.2.2', '192.0.2.1', '192.0.2.2'] }), STATE),
  bridge: planNetwork(binding(network('uplink', { mode: 'bridge', bridge: 'br0' })), STATE),
  vlan: planNetwork(binding(network('tagged', { mode: 'isolated', subnet: '172.16.4.0/24', vlan: 42 })), STATE),
  mtu: planNetwork(binding(network('jumbo', { mode: 'nat', subnet: '10.9.0.0/24', mtu: 9000 })), STATE),
};

describe('planNetwork golden texts', () => {
  it.each(Object.keys(CASES))('%s matches its golden file', (name) => {
    const text = asText(CASES[name]!);
    const file = join(__dirname, 'golden', `${name}.txt`);
    if (update) writeFileSync(file, text);
    if (!existsSync(file)) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1 to create it`);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});

describe('planNetwork decisions', () => {
  it('nat: masquerade, router option, DNAT only for VMs with a local reservation (their first NIC)', () => {
    const p = CASES['nat']!;
    expect(p.forwards).toEqual([
      { protocol: 'tcp', hostPort: 2222, vm: 'web-1', ip: '10.77.0.10', port: 22 },
      { protocol: 'udp', hostPort: 5353, vm: 'web-1', ip: '10.77.0.10', port: 53 },
    ]);
    expect(p.address).toBe('10.77.0.1/24');
    expect(p.dnsmasq?.files.conf).toContain('dhcp-range=10.77.0.0,static,255.255.255.0\n');
    expect(p.dnsmasq?.files.conf).toContain('dhcp-ignore=tag:!known\n');
    // Only local reservations get a DHCP host entry; every reservation gets a DNS name.
    // The hostname goes with the VM's first NIC only.
    expect(p.dnsmasq?.files.hosts).toBe('52:54:00:ab:cd:01,10.77.0.10,web-1\n52:54:00:ab:cd:02,10.77.0.11\n');
    expect(p.dnsmasq?.files.addnHosts).toBe('10.77.0.2 db-1.lab\n10.77.0.10 web-1.lab\n10.77.0.11 web-1.lab\n');
    expect(renderNftRuleset([p])).toContain('ip saddr 10.77.0.0/24 ip daddr != 10.77.0.0/24 oifname != "hvs-');
  });

  it('isolated: explicit gateway and domain, no router, no upstream DNS, routing into and out of the bridge dropped', () => {
    const p = CASES['isolated']!;
    expect(p.address).toBe('192.168.50.62/26');
    expect(p.dnsmasq?.files.conf).toContain('domain=internal\n');
    expect(p.dnsmasq?.files.conf).toContain('no-resolv\n');
    expect(p.dnsmasq?.files.addnHosts).toBe('192.168.50.5 api-1.internal\n');
    const nft = renderNftRuleset([p])!;
    expect(nft).not.toContain('masquerade');
    expect(nft).toContain(`iifname "${p.bridge}" oifname != "${p.bridge}" drop`);
  });

  it('vxlan: MTU 1450, the distributed gateway MAC, one FDB entry per other peer (sorted, deduplicated, self dropped)', () => {
    const p = CASES['vxlan']!;
    expect(p.mtu).toBe(1450);
    expect(p.mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(p.vxlan).toEqual({ device: p.bridge.replace('hvs-', 'hvx-'), vni: 4242, port: 4789, local: '192.0.2.1', peers: ['192.0.2.2', '192.0.2.3'] });
    expect(p.commands.filter((c) => c[1] === 'fdb').map((c) => c.join(' '))).toEqual([
      `bridge fdb append 00:00:00:00:00:00 dev ${p.vxlan!.device} dst 192.0.2.2`,
      `bridge fdb append 00:00:00:00:00:00 dev ${p.vxlan!.device} dst 192.0.2.3`,
    ]);
    expect(p.dnsmasq?.files.conf).toContain('dhcp-option=option:mtu,1450\n');
  });

  it('bridge: joins the named host bridge and creates nothing', () => {
    const p = CASES['bridge']!;
    expect(p).toMatchObject({ bridge: 'br0', owned: false, commands: [], forwards: [] });
    expect(p.dnsmasq).toBeUndefined();
    expect(renderNftRuleset([p])).toBeUndefined();
  });

  it('vlan: VLAN filtering and the bridge VLAN in the commands', () => {
    const p = CASES['vlan']!;
    expect(p.commands.map((c) => c.join(' '))).toEqual(expect.arrayContaining([
      `ip link set dev ${p.bridge} type bridge vlan_filtering 1`,
      `bridge vlan add dev ${p.bridge} vid 42 pvid untagged self`,
    ]));
  });

  it('no subnet: a bridge without address, dnsmasq or masquerade', () => {
    const p = planNetwork(binding(network('bare', { mode: 'nat' })), STATE);
    expect(p.address).toBeUndefined();
    expect(p.dnsmasq).toBeUndefined();
    expect(renderNftRuleset([p])).not.toContain('masquerade');
  });

  it('renders one table for several Networks, sorted by name, and none without our bridges', () => {
    const nft = renderNftRuleset([CASES['nat']!, CASES['isolated']!, CASES['bridge']!])!;
    const forward = nft.slice(nft.indexOf('chain forward'));
    expect(forward.indexOf('"hvs:backend"')).toBeLessThan(forward.indexOf('"hvs:lab"'));
    expect(nft.match(/^table inet hvs-net \{$/gm)).toHaveLength(1);
    expect(renderNftRuleset([])).toBeUndefined();
  });
});
