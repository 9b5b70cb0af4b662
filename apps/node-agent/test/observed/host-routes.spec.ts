// The host's own IPv4 routes and addresses from iproute2's JSON (pure parse): no default route,
// nothing on our Network devices (hvs-*/hvx-*) or loopback, host routes and addresses as /32.
import { parseIpv4Routes } from '../../src/observed/host-routes';

const ROUTES = JSON.stringify([
  { dst: 'default', gateway: '192.168.1.1', dev: 'eth0' },
  { dst: '192.168.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '192.168.1.7' },
  { dst: '10.8.0.1', dev: 'tun0' },
  { dst: '10.88.0.0/24', dev: 'hvs-0123456789', protocol: 'kernel' },
  { dst: '10.90.0.0/24', dev: 'hvx-0123456789' },
]);
const ADDRS = JSON.stringify([
  { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifname: 'eth0', addr_info: [{ family: 'inet', local: '192.168.1.7', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
  { ifname: 'hvs-0123456789', addr_info: [{ family: 'inet', local: '10.88.0.1', prefixlen: 24 }] },
]);

describe('parseIpv4Routes', () => {
  it('reports the host\'s routes and addresses as sorted CIDRs, without default, loopback or our own devices', () => {
    expect(parseIpv4Routes(ROUTES, ADDRS)).toEqual(['10.8.0.1/32', '192.168.1.0/24', '192.168.1.7/32']);
  });

  it('reports nothing for empty output', () => {
    expect(parseIpv4Routes('', '')).toEqual([]);
  });
});
