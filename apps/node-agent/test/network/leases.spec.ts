import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaseReader, parseLeases } from '../../src/network/leases';

describe('dnsmasq leases', () => {
  it('parses dnsmasq lease lines: expiry, MAC, IPv4, hostname (* = none); skips IPv6, duid and junk', () => {
    const text = [
      '1796640000 52:54:00:AB:CD:01 10.77.0.10 web-1 01:52:54:00:ab:cd:01',
      '0 52:54:00:ab:cd:02 10.77.0.11 * *',
      'duid 00:01:00:01:2c:aa:bb:cc:dd:ee:ff:00:11',
      '1796640000 1234 fd00::5 web-1 00:01:02',
      'garbage line',
      '',
    ].join('\n');
    expect(parseLeases(text)).toEqual([
      { mac: '52:54:00:ab:cd:01', ip: '10.77.0.10', hostname: 'web-1', expiresAt: new Date(1796640000 * 1000).toISOString() },
      { mac: '52:54:00:ab:cd:02', ip: '10.77.0.11', hostname: '' },
    ]);
  });

  it('reads <stateDir>/networks/<network>/dnsmasq.leases; a Network without one has no leases', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvs-leases-'));
    try {
      mkdirSync(join(dir, 'networks', 'lab'), { recursive: true });
      writeFileSync(join(dir, 'networks', 'lab', 'dnsmasq.leases'), '1796640000 52:54:00:ab:cd:01 10.77.0.10 web-1 *\n');
      const leases = leaseReader(dir);
      expect(await leases('lab')).toEqual([{ mac: '52:54:00:ab:cd:01', ip: '10.77.0.10', hostname: 'web-1', expiresAt: new Date(1796640000 * 1000).toISOString() }]);
      expect(await leases('other')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
