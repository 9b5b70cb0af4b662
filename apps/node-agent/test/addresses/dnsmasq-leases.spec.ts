// dnsmasq's lease file as the agent reads it (pure parse; the file belongs to dnsmasq).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { macOfDuid, parseLeases, readLeases } from '../../src/addresses/dnsmasq-leases';

const NOW = 1_800_000_000;

describe('parseLeases', () => {
  it('reads IPv4 leases (`<expiry> <mac> <ip> <hostname> <client-id>`), MAC lower-cased, `*` hostname left out', () => {
    const text = [
      `${NOW + 3600} 52:54:00:AB:CD:EF 10.88.0.100 web-1 01:52:54:00:ab:cd:ef`,
      `${NOW + 60} 52:54:00:00:00:02 10.88.0.101 * *`,
    ].join('\n');
    expect(parseLeases(text, NOW)).toStrictEqual([
      { mac: '52:54:00:ab:cd:ef', ipv4: '10.88.0.100', expiresAt: NOW + 3600, hostname: 'web-1' },
      { mac: '52:54:00:00:00:02', ipv4: '10.88.0.101', expiresAt: NOW + 60 },
    ]);
  });

  it('drops expired leases and keeps infinite ones (expiry 0)', () => {
    const text = [
      `${NOW - 1} 52:54:00:00:00:01 10.88.0.5 old *`,
      `${NOW} 52:54:00:00:00:02 10.88.0.6 edge *`,
      `0 52:54:00:00:00:03 10.88.0.7 forever *`,
    ].join('\n');
    expect(parseLeases(text, NOW).map((l) => l.ipv4)).toStrictEqual(['10.88.0.7']);
  });

  it('skips the duid line; ties IPv6 leases to a MAC only through a DUID-LLT/DUID-LL', () => {
    const text = [
      `${NOW + 100} 52:54:00:00:00:01 10.88.0.5 vm *`,
      'duid 00:01:00:01:2c:7b:1e:4a:52:54:00:11:22:33',
      // iaid, address, hostname, client DUID-LLT (type 1, Ethernet, time, MAC)
      `${NOW + 100} 1234567 fd00:88::5 vm 00:01:00:01:2c:7b:1e:4a:52:54:00:00:00:01`,
      // DUID-LL (type 3)
      `${NOW + 100} 7 FD00:88::6 * 00:03:00:01:52:54:00:00:00:02`,
      // DUID-UUID (type 4): no MAC inside, left out
      `${NOW + 100} 8 fd00:88::7 * 00:04:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00`,
    ].join('\n');
    expect(parseLeases(text, NOW)).toStrictEqual([
      { mac: '52:54:00:00:00:01', ipv4: '10.88.0.5', expiresAt: NOW + 100, hostname: 'vm' },
      { mac: '52:54:00:00:00:01', ipv6: 'fd00:88::5', expiresAt: NOW + 100, hostname: 'vm' },
      { mac: '52:54:00:00:00:02', ipv6: 'fd00:88::6', expiresAt: NOW + 100 },
    ]);
    expect(macOfDuid('00:03:00:01:52:54:00:00:00:02')).toBe('52:54:00:00:00:02');
    expect(macOfDuid('00:02:00:00:ab:11:aa')).toBeUndefined();
  });

  it('skips torn or foreign lines instead of throwing', () => {
    const text = ['', 'garbage', `${NOW + 5} 52:54:00`, `${NOW + 5} zz:54:00:00:00:01 10.0.0.1 x *`, `${NOW + 5} 52:54:00:00:00:01 10.0.0.300 x *`, 'x 52:54:00:00:00:01 10.0.0.1 a *'].join('\n');
    expect(parseLeases(text, NOW)).toStrictEqual([]);
  });
});

describe('readLeases', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hvs-leases-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file, and a missing file (dnsmasq has handed out nothing yet) is no leases', async () => {
    await writeFile(join(dir, 'dnsmasq.leases'), `${NOW + 10} 52:54:00:00:00:01 10.88.0.5 vm *\n`);
    expect(await readLeases(join(dir, 'dnsmasq.leases'), NOW)).toHaveLength(1);
    expect(await readLeases(join(dir, 'absent.leases'), NOW)).toStrictEqual([]);
  });
});
