// Which source gives a NIC's address (pure): guest agent, then the node's DHCP lease, then the reservation.
import type { VmObservation } from '@hvs/domain';
import { addressesOf, mergeInterfaces, withInterfaces, type VmNic } from '../../src/addresses/merge-interfaces';
import type { DhcpLease } from '../../src/addresses/dnsmasq-leases';

const eth0: VmNic = { name: 'eth0', network: 'lan', mac: '52:54:00:00:00:01', ipv4: '10.88.0.100', dnsName: 'web.lan' };
const eth1: VmNic = { name: 'eth1', network: 'db', mac: '52:54:00:00:00:02', ipv4: '10.89.0.7', dnsName: 'web.db' };
const leases = (byNet: Record<string, DhcpLease[]>) => new Map(Object.entries(byNet));

describe('mergeInterfaces', () => {
  it('falls back to the reservation when nothing else is known', () => {
    expect(mergeInterfaces({ nics: [eth0], leases: leases({}), guest: undefined })).toStrictEqual([
      { name: 'eth0', mac: '52:54:00:00:00:01', network: 'lan', ipv4: '10.88.0.100', source: 'reservation', dnsName: 'web.lan' },
    ]);
  });

  it('prefers the lease of the NIC MAC on its own Network; the longest-lived lease wins', () => {
    const out = mergeInterfaces({
      nics: [eth0, eth1], guest: undefined,
      leases: leases({
        lan: [
          { mac: '52:54:00:00:00:01', ipv4: '10.88.0.150', expiresAt: 100 },
          { mac: '52:54:00:00:00:01', ipv4: '10.88.0.151', expiresAt: 200 },
          { mac: '52:54:00:00:00:01', ipv6: 'fd00:88::5', expiresAt: 200 },
        ],
        // The MAC of eth1 leased on another Network does not count for eth1.
        other: [{ mac: '52:54:00:00:00:02', ipv4: '10.90.0.1', expiresAt: 0 }],
      }),
    });
    expect(out[0]).toMatchObject({ ipv4: '10.88.0.151', ipv6: ['fd00:88::5'], source: 'lease' });
    expect(out[1]).toMatchObject({ ipv4: '10.89.0.7', source: 'reservation' });
  });

  it('prefers the guest agent (matched by MAC, link-local IPv4 ignored); its IPv6 list replaces the leases', () => {
    const out = mergeInterfaces({
      nics: [eth0, eth1],
      leases: leases({ lan: [{ mac: '52:54:00:00:00:01', ipv4: '10.88.0.150', expiresAt: 0 }, { mac: '52:54:00:00:00:01', ipv6: 'fd00:88::5', expiresAt: 0 }] }),
      guest: [
        { name: 'ens3', mac: '52:54:00:00:00:01', ipv4: ['10.88.0.42'], ipv6: ['fd00:88::42', 'fe80::5054:ff:fe00:1'] },
        { name: 'ens4', mac: '52:54:00:00:00:02', ipv4: ['169.254.3.4'], ipv6: [] },
      ],
    });
    expect(out[0]).toStrictEqual({ name: 'eth0', mac: '52:54:00:00:00:01', network: 'lan', ipv4: '10.88.0.42', ipv6: ['fd00:88::42', 'fe80::5054:ff:fe00:1'], source: 'guest-agent', dnsName: 'web.lan' });
    expect(out[1]).toMatchObject({ ipv4: '10.89.0.7', source: 'reservation' });
  });

  it('a bridge NIC (no IPAM, no lease) has no address and no source; a NIC without a known MAC is not reported', () => {
    const out = mergeInterfaces({ nics: [{ name: 'eth0', network: 'br', mac: '52:54:00:00:00:09', ipv4: '', dnsName: '' }, { name: 'eth1', network: 'lan', mac: '', ipv4: '', dnsName: '' }], leases: leases({}), guest: [] });
    expect(out).toStrictEqual([{ name: 'eth0', mac: '52:54:00:00:00:09', network: 'br' }]);
  });

  it('an IPv6-only guest answer gives source guest-agent', () => {
    const out = mergeInterfaces({ nics: [{ ...eth0, ipv4: '' }], leases: leases({}), guest: [{ name: 'ens3', mac: '52:54:00:00:00:01', ipv4: [], ipv6: ['fd00::1'] }] });
    expect(out[0]).toMatchObject({ ipv6: ['fd00::1'], source: 'guest-agent' });
    expect(out[0]).not.toHaveProperty('ipv4');
  });
});

describe('addressesOf', () => {
  it('lists the distinct IPv4s of all NICs, then the IPv6s', () => {
    expect(addressesOf([
      { name: 'eth0', mac: 'm', network: 'a', ipv4: '10.0.0.1', ipv6: ['fd00::1'] },
      { name: 'eth1', mac: 'n', network: 'b', ipv4: '10.0.0.2', ipv6: ['fd00::1', 'fd00::2'] },
      { name: 'eth2', mac: 'o', network: 'c' },
    ])).toStrictEqual(['10.0.0.1', '10.0.0.2', 'fd00::1', 'fd00::2']);
  });
});

describe('withInterfaces', () => {
  const obs: VmObservation = { name: 'web', uid: 'u', phase: 'Running', reason: '', message: '', ips: ['10.0.0.9'], node: 'n', observedGeneration: 1, pendingRestart: [] };
  const eth0 = { name: 'eth0', mac: '52:54:00:00:00:01', network: 'lan', ipv4: '10.0.0.1' };

  it('sets ips from the interfaces and leaves interfaces out when there are none', () => {
    expect(withInterfaces(obs, [eth0])).toStrictEqual({ ...obs, ips: ['10.0.0.1'], interfaces: [eth0] });
    expect(withInterfaces({ ...obs, interfaces: [eth0] }, [])).toStrictEqual({ ...obs, ips: [] });
  });

  it('serialises equal observations equally whatever order the caller built them in (ObservedState.set compares JSON)', () => {
    const built = withInterfaces({ ...obs, interfaces: [eth0] }, [eth0]);
    const again = withInterfaces(obs, [eth0]);
    expect(JSON.stringify(built)).toBe(JSON.stringify(again));
  });
});
