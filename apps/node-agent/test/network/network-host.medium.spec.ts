/**
 * HostNetworkDriver for real, inside network namespaces this test creates (as root): a real
 * bridge, a real dnsmasq answering a DHCP DISCOVER from a veth "guest" with exactly the reserved
 * address (and nothing for an unknown MAC), DNS names, the nft table, adoption without a
 * restart, SIGHUP reloads, refusals (foreign same-named bridge, missing host bridge, port 53
 * taken, VLAN on a kernel without filtering) and removal that leaves nothing behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { describeWhen } from '../../../../test/harness/tiers';
import { HostNetworkDriver } from '../../src/network/host-driver';
import { runningDnsmasq } from '../../src/network/dnsmasq-process';
import { readLeases } from '../../src/addresses/dnsmasq-leases';
import { bridgeName } from '../../src/network/naming';
import { renderNftRuleset } from '../../src/network/nft-ruleset';
import { networkDir, planNetwork } from '../../src/network/plan';
import { until } from '../support/fixtures';
import { binding, network, reservation } from './fixtures';
import { NetLab, netnsGate } from './support/net-lab';

jest.setTimeout(60_000);

const WEB_MAC = '52:54:00:91:00:10';
const LAB = network('lab', { mode: 'nat', subnet: '10.91.0.0/24', portForwards: [{ protocol: 'tcp', hostPort: 8022, vm: 'web-1', port: 22 }] });

describeWhen(netnsGate.ok, netnsGate.why)('HostNetworkDriver in a network namespace', () => {
  let lab: NetLab;
  let driver: HostNetworkDriver;
  let state: string;
  let N: string;
  let G: string;

  const ipJson = async (ns: string, args: string[]) => JSON.parse((await lab.exec(ns, ['ip', '-j', '-d', ...args])).stdout || '[]') as Record<string, unknown>[];

  beforeAll(async () => {
    lab = await NetLab.create(['n', 'g', 'f']);
    N = lab.ns('n');
    G = lab.ns('g');
    state = join(lab.dir, 'state');
    driver = new HostNetworkDriver({ stateDir: state, netns: N });
  });

  afterAll(() => lab?.close());

  const labBinding = (extra: ReturnType<typeof reservation>[] = []) => binding(LAB, [
    reservation('web-1', '10.91.0.10', WEB_MAC),
    reservation('db-1', '10.91.0.20', '52:54:00:91:00:20', false),
    ...extra,
  ]);

  it('realises a nat Network: our marked bridge with its gateway, a dnsmasq, the nft table with masquerade and the port forward', async () => {
    const plan = planNetwork(labBinding(), state);
    const r = await driver.realise(plan);
    await driver.applyRuleset(renderNftRuleset([plan]));
    expect(r).toMatchObject({ bridge: bridgeName('lab'), reason: 'Realised', changed: true });
    const [link] = await ipJson(N, ['link', 'show', 'dev', bridgeName('lab')]);
    expect(link).toMatchObject({ ifalias: 'hvs:lab', mtu: 1500, operstate: expect.any(String) });
    const [addr] = await ipJson(N, ['addr', 'show', 'dev', bridgeName('lab')]);
    expect((addr!['addr_info'] as { local: string; prefixlen: number; family: string }[]).filter((a) => a.family === 'inet')).toEqual([expect.objectContaining({ local: '10.91.0.1', prefixlen: 24 })]);
    expect(await runningDnsmasq(networkDir(state, 'lab'))).toEqual(expect.any(Number));
    const nft = JSON.stringify(JSON.parse((await lab.exec(N, ['nft', '-j', 'list', 'table', 'inet', 'hvs-net'])).stdout));
    expect(nft).toContain('"masquerade"');
    expect(nft).toContain('"10.91.0.0"');
    expect(nft).toContain('"addr":"10.91.0.10","port":22');
  });

  it('dnsmasq offers exactly the reservation to its MAC (and records the lease), nothing to an unknown MAC, and answers <vm>.<domain> for every reservation', async () => {
    await lab.plugGuest(N, bridgeName('lab'), G, 'gv0', WEB_MAC);
    expect(await lab.dhcpOffer(G, 'gv0', WEB_MAC, 5)).toBe('10.91.0.10');
    expect(await lab.dhcpOffer(G, 'gv0', '52:54:00:91:00:99', 3)).toBe('none');
    // A full exchange leaves a lease that the guest-address reader (addresses/dnsmasq-leases.ts) parses.
    expect(await lab.dhcpLease(G, 'gv0', WEB_MAC, 'web-1')).toBe('10.91.0.10');
    // dnsmasq writes the lease file right after the ACK; await it rather than race it.
    const leases = await until('the lease of web-1', async () => {
      const l = await readLeases(join(networkDir(state, 'lab'), 'dnsmasq.leases'), Math.floor(Date.now() / 1000));
      return l.length > 0 ? l : undefined;
    }, 10_000);
    expect(leases).toEqual([{ mac: WEB_MAC, ipv4: '10.91.0.10', hostname: 'web-1', expiresAt: expect.any(Number) }]);
    expect(leases[0]!.expiresAt * 1000).toBeGreaterThan(Date.now());
    await lab.exec(G, ['ip', 'addr', 'add', '10.91.0.10/24', 'dev', 'gv0']);
    expect(await lab.dnsA(G, '10.91.0.1', 'web-1.lab')).toBe('10.91.0.10');
    // db-1 runs on another node: no DHCP entry here, but its name resolves.
    expect(await lab.dnsA(G, '10.91.0.1', 'db-1.lab')).toBe('10.91.0.20');
  });

  it('adopts what exists: realising again changes nothing and keeps the running dnsmasq', async () => {
    const pid = await runningDnsmasq(networkDir(state, 'lab'));
    const again = new HostNetworkDriver({ stateDir: state, netns: N });
    expect(await again.realise(planNetwork(labBinding(), state))).toMatchObject({ reason: 'Realised', changed: false });
    expect(await runningDnsmasq(networkDir(state, 'lab'))).toBe(pid);
  });

  it('a new reservation reaches the running dnsmasq by SIGHUP (same pid), a changed config restarts it', async () => {
    const dir = networkDir(state, 'lab');
    const pid = await runningDnsmasq(dir);
    const newMac = '52:54:00:91:00:30';
    expect(await driver.realise(planNetwork(labBinding([reservation('api-1', '10.91.0.30', newMac)]), state))).toMatchObject({ changed: true });
    expect(await runningDnsmasq(dir)).toBe(pid);
    expect(readFileSync(join(dir, 'hosts'), 'utf8')).toContain(`${newMac},10.91.0.30,api-1`);
    expect(await lab.dhcpOffer(G, 'gv0', newMac, 5)).toBe('10.91.0.30');
    const renamed = binding(network('lab', { ...LAB.spec, dns: { domain: 'example.test' } }), labBinding().reservations);
    await driver.realise(planNetwork(renamed, state));
    const after = await runningDnsmasq(dir);
    expect(after).toEqual(expect.any(Number));
    expect(after).not.toBe(pid);
    expect(await lab.dnsA(G, '10.91.0.1', 'web-1.example.test')).toBe('10.91.0.10');
  });

  it('refuses a same-named bridge it did not create (HVS-NET-NAME-CLASH) and leaves it alone, even on remove', async () => {
    const foreign = bridgeName('clash');
    await lab.exec(N, ['ip', 'link', 'add', 'name', foreign, 'type', 'bridge']);
    await expect(driver.realise(planNetwork(binding(network('clash', { mode: 'isolated', subnet: '10.92.0.0/24' })), state))).rejects.toMatchObject({ code: 'HVS-NET-NAME-CLASH' });
    await driver.remove('clash');
    const [link] = await ipJson(N, ['link', 'show', 'dev', foreign]);
    expect(link).toMatchObject({ ifname: foreign });
    expect(link!['ifalias']).toBeUndefined();
    expect((await ipJson(N, ['addr', 'show', 'dev', foreign]))[0]!['addr_info']).toEqual([]);
  });

  it('bridge mode: joins an existing host bridge, refuses a missing one with HVS-NET-BRIDGE-MISSING and an ip link hint', async () => {
    await lab.exec(N, ['ip', 'link', 'add', 'name', 'br-host', 'type', 'bridge']);
    expect(await driver.realise(planNetwork(binding(network('uplink', { mode: 'bridge', bridge: 'br-host' })), state))).toMatchObject({ bridge: 'br-host', reason: 'Realised' });
    const missing = driver.realise(planNetwork(binding(network('gone', { mode: 'bridge', bridge: 'br-gone' })), state));
    await expect(missing).rejects.toMatchObject({ code: 'HVS-NET-BRIDGE-MISSING', fix: expect.stringContaining('ip link') });
  });

  it('VLAN: realised where the kernel has bridge VLAN filtering, refused with HVS-NET-VLAN-UNSUPPORTED where not', async () => {
    await lab.exec(N, ['ip', 'link', 'add', 'name', 'vlprobe', 'type', 'bridge']);
    const supported = (await lab.exec(N, ['ip', 'link', 'set', 'dev', 'vlprobe', 'type', 'bridge', 'vlan_filtering', '1'])).code === 0;
    const p = driver.realise(planNetwork(binding(network('tagged', { mode: 'isolated', subnet: '10.95.0.0/24', vlan: 42 })), state));
    if (supported) await expect(p).resolves.toMatchObject({ reason: 'Realised' });
    else await expect(p).rejects.toMatchObject({ code: 'HVS-NET-VLAN-UNSUPPORTED' });
    await driver.remove('tagged');
  });

  it('a dnsmasq that cannot bind port 53 fails with HVS-NET-DNSMASQ-FAILED and dnsmasq\'s own message', async () => {
    const F = lab.ns('f');
    const blocker: ChildProcess = spawn('ip', ['netns', 'exec', F, 'python3', '-c', 'import socket,sys,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(("0.0.0.0",53))\nprint("bound",flush=True)\ntime.sleep(120)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        blocker.stdout!.once('data', () => resolve());
        blocker.once('exit', (c) => reject(new Error(`blocker exited ${c}`)));
      });
      const fdriver = new HostNetworkDriver({ stateDir: join(lab.dir, 'state-f'), netns: F });
      const p = fdriver.realise(planNetwork(binding(network('busy', { mode: 'isolated', subnet: '10.96.0.0/24' })), join(lab.dir, 'state-f')));
      await expect(p).rejects.toMatchObject({ code: 'HVS-NET-DNSMASQ-FAILED', message: expect.stringContaining('Address already in use') });
    } finally {
      blocker.kill('SIGKILL');
    }
  });

  it('removal leaves no bridge, no dnsmasq, no files and no nft table', async () => {
    const dir = networkDir(state, 'lab');
    const pid = await runningDnsmasq(dir);
    expect(await driver.present()).toEqual(expect.arrayContaining(['lab']));
    await driver.remove('lab');
    await driver.applyRuleset(undefined);
    expect(await ipJson(N, ['link', 'show', 'dev', bridgeName('lab')])).toEqual([]);
    expect(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect((await lab.exec(N, ['nft', 'list', 'table', 'inet', 'hvs-net'])).code).not.toBe(0);
    expect(await driver.present()).not.toContain('lab');
  });
});
