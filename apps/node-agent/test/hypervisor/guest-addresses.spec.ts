// `virsh -q domifaddr --source agent --full` as the guest-address loop reads it (pure).
import { domifaddrArgs, parseDomifaddr } from '../../src/hypervisor/guest-addresses';

describe('parseDomifaddr', () => {
  it('groups the lines per NIC (name and MAC), strips prefixes, leaves loopback out', () => {
    // libvirt's format for a guest running qemu-guest-agent (--full: every line names its NIC).
    const text = [
      ' lo         00:00:00:00:00:00    ipv4         127.0.0.1/8',
      ' lo         00:00:00:00:00:00    ipv6         ::1/128',
      ' ens3       52:54:00:3A:91:0C    ipv4         10.88.0.101/24',
      ' ens3       52:54:00:3A:91:0C    ipv6         fd00:88::65/64',
      ' ens3       52:54:00:3A:91:0C    ipv6         fe80::5054:ff:fe3a:910c/64',
      ' ens4       52:54:00:00:00:02    ipv4         10.89.0.7/24',
      ' ens5       52:54:00:00:00:03    N/A          N/A',
      '',
    ].join('\n');
    expect(parseDomifaddr(text)).toStrictEqual([
      { name: 'ens3', mac: '52:54:00:3a:91:0c', ipv4: ['10.88.0.101'], ipv6: ['fd00:88::65', 'fe80::5054:ff:fe3a:910c'] },
      { name: 'ens4', mac: '52:54:00:00:00:02', ipv4: ['10.89.0.7'], ipv6: [] },
      { name: 'ens5', mac: '52:54:00:00:00:03', ipv4: [], ipv6: [] },
    ]);
  });

  it('drops malformed addresses (the guest writes the answer) and caps what one guest can report', () => {
    const text = [
      ' eth0 52:54:00:00:00:01 ipv4 10.0.0.300/24',
      ' eth0 52:54:00:00:00:01 ipv4 <script>/24',
      ' eth0 52:54:00:00:00:01 ipv6 fe80::1%eth0/64',
      ' eth0 52:54:00:00:00:01 ipv4 10.0.0.5/24',
      ...Array.from({ length: 40 }, (_, i) => ` eth0 52:54:00:00:00:01 ipv6 fd00::${i + 1}/64`),
    ].join('\n');
    const [nic] = parseDomifaddr(text);
    expect(nic.ipv4).toStrictEqual(['10.0.0.5']);
    expect(nic.ipv6).toHaveLength(16);
    const many = Array.from({ length: 100 }, (_, i) => ` n${i} 52:54:00:00:01:${i.toString(16).padStart(2, '0')} ipv4 10.0.1.${i}/24`).join('\n');
    expect(parseDomifaddr(many)).toHaveLength(64);
  });

  it('reads nothing from headers or an empty answer', () => {
    expect(parseDomifaddr(' Name       MAC address          Protocol     Address\n-----------------------------\n')).toStrictEqual([]);
    expect(parseDomifaddr('')).toStrictEqual([]);
  });

  it('asks the guest agent, with every line complete', () => {
    expect(domifaddrArgs('hvs-u1')).toStrictEqual(['domifaddr', 'hvs-u1', '--source', 'agent', '--full']);
  });
});
