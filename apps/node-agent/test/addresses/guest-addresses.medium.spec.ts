// Guest addresses against real parts: an agent on libvirt's test driver picking up a dnsmasq
// lease file the test writes into its Network dir, the lease watch on its own, and real virsh
// answers (libvirt's fake address on the test driver, a failing domifaddr that is tolerated).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { domainName, HvsError, type Network, type VirtualMachine } from '@hvs/domain';
import { toProtoObject } from '@hvs/proto';
import { FakeClock, SystemClock } from '@hvs/reconcile';
import { AddressWatch, leasesPath } from '../../src/addresses/address-watch';
import { FakeHypervisorDriver, LibvirtDriver, parseDomifaddr } from '../../src/hypervisor';
import { domifaddrArgs } from '../../src/hypervisor/guest-addresses';
import { runVirsh } from '../../src/hypervisor/virsh';
import { ObservedState } from '../../src/observed/observed-state';
import type { NicBinding } from '../../src/state/assignment-store';
import { assignInProcess, assignRequest, tempDir, testVm, until } from '../support/fixtures';
import { startTestDriverAgent, type TestDriverAgent } from '../support/test-driver-agent';

// The agent start and real virsh calls share 2 busy cores with other suites.
jest.setTimeout(30_000);

/** The refresh window the product promises for a new lease. */
const LEASE_WINDOW_MS = 10_000;
const MAC = '52:54:00:12:34:56';
const nowSec = () => Math.floor(Date.now() / 1000);
const binding: NicBinding = { name: 'eth0', network: 'lan', mac: MAC, ipv4: '10.88.0.100', prefixLength: 24, gateway: '10.88.0.1', dnsName: 'web-1.lan', static: false, dnsServers: [] };

describe('an agent on the test driver: reservation first, then the DHCP lease', () => {
  let t: TestDriverAgent;
  beforeAll(async () => {
    t = await startTestDriverAgent('hvs-guestaddr-');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('reports the reservation, then the lease written into <stateDir>/networks/<network>/ within the refresh window', async () => {
    const lan = { apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'lan' }, spec: { mode: 'bridge', bridge: 'br-test' } } as unknown as Network;
    const vm: VirtualMachine = testVm('web-1', 'uid-web-1');
    vm.spec.networks = [{ name: 'eth0', network: 'lan', mac: MAC }];
    const req = assignRequest([vm], 1);
    req.networks = [toProtoObject(lan)];
    req.vms[0].nics = [binding];
    await assignInProcess(t.agent, req);

    const first = await until('the reservation in the observation', () => t.agent.observed.get('uid-web-1')?.interfaces?.[0]);
    expect(first).toStrictEqual({ name: 'eth0', mac: MAC, network: 'lan', ipv4: '10.88.0.100', source: 'reservation', dnsName: 'web-1.lan' });
    expect(t.agent.observed.get('uid-web-1')?.ips).toStrictEqual(['10.88.0.100']);

    // What dnsmasq writes when the guest's DHCP client gets its (reserved) address, IPv6 part included.
    const dir = join(t.dir, 'state', 'networks', 'lan');
    await mkdir(dir, { recursive: true });
    await writeFile(leasesPath(join(t.dir, 'state', 'networks'), 'lan'), [
      `${nowSec() + 3600} ${MAC} 10.88.0.100 web-1 01:${MAC}`,
      'duid 00:01:00:01:2c:7b:1e:4a:52:54:00:aa:bb:cc',
      `${nowSec() + 3600} 1234 fd00:88::64 web-1 00:03:00:01:${MAC}`,
      '',
    ].join('\n'));
    const leased = await until('the lease in the observation', () => {
      const nic = t.agent.observed.get('uid-web-1')?.interfaces?.[0];
      return nic?.source === 'lease' ? nic : undefined;
    }, LEASE_WINDOW_MS);
    expect(leased).toStrictEqual({ name: 'eth0', mac: MAC, network: 'lan', ipv4: '10.88.0.100', ipv6: ['fd00:88::64'], source: 'lease', dnsName: 'web-1.lan' });
    expect(t.agent.observed.get('uid-web-1')?.ips).toStrictEqual(['10.88.0.100', 'fd00:88::64']);
    // The test driver cannot be asked through virsh (its state lives in this process): no guest-agent source here.
    expect(t.agent.driver.abilities.has('guest-addresses')).toBe(false);
  });
});

describe('AddressWatch with real files and real virsh', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('hvs-addrwatch-'));
  });
  afterEach(async () => {
    await cleanup();
  });

  function vmObserved(observed: ObservedState): void {
    observed.set({ name: 'web-1', uid: 'u1', phase: 'Running', reason: 'Running', message: '', ips: [], node: 'n', observedGeneration: 1, pendingRestart: [] });
  }

  it('sees a lease through the directory watch alone (the backstop poll is off)', async () => {
    const observed = new ObservedState();
    vmObserved(observed);
    await mkdir(join(dir, 'lan'));
    const driver = new LibvirtDriver({ uri: 'test:///default' });
    const watch = new AddressWatch({
      store: { uids: () => ['u1'], desired: () => undefined, nics: () => [{ ...binding, ipv4: '' }] },
      observed, driver, clock: new SystemClock(), networksDir: dir, leasePollMs: 3_600_000,
    });
    try {
      watch.start();
      await until('the first (empty) publish', () => observed.get('u1')?.interfaces?.length === 1);
      await writeFile(leasesPath(dir, 'lan'), `${nowSec() + 600} ${MAC} 10.88.0.77 web-1 *\n`);
      const nic = await until('the lease', () => observed.get('u1')?.interfaces?.find((i) => i.source === 'lease'), LEASE_WINDOW_MS);
      expect(nic.ipv4).toBe('10.88.0.77');
    } finally {
      watch.stop();
      await driver.close();
    }
  });

  it('watches the new dir after the Network dir was removed and made again (re-realised)', async () => {
    // Ticks on a fake clock, advanced by the test only: a lease seen later came through the watch.
    const clock = new FakeClock(Date.now());
    const observed = new ObservedState();
    vmObserved(observed);
    const lan = join(dir, 'lan');
    await mkdir(lan);
    const watch = new AddressWatch({
      store: { uids: () => ['u1'], desired: () => undefined, nics: () => [{ ...binding, ipv4: '' }] },
      observed, driver: new FakeHypervisorDriver({ clock }), clock, networksDir: dir, leasePollMs: 3_600_000,
    });
    try {
      watch.start();
      await until('the first (empty) publish', () => observed.get('u1')?.interfaces?.length === 1);
      await rm(lan, { recursive: true });
      await mkdir(lan);
      await clock.advance(3_600_000); // one backstop tick: it watches the new dir
      await until('the tick read the (absent) file', () => observed.get('u1')?.ips.length === 0);
      await writeFile(leasesPath(dir, 'lan'), `${Math.floor(clock.now() / 1000) + 600} ${MAC} 10.88.0.79 web-1 *\n`);
      const nic = await until('the lease through the new watch', async () => {
        await clock.advance(100); // the settle delay after a watch event
        return observed.get('u1')?.interfaces?.find((i) => i.source === 'lease');
      }, LEASE_WINDOW_MS);
      expect(nic.ipv4).toBe('10.88.0.79');
    } finally {
      watch.stop();
    }
  });

  it('a failing `virsh domifaddr --source agent` is only "no answer": the lease still shows', async () => {
    // A libvirtd that is not there: virsh fails, as it does for a guest without qemu-guest-agent.
    const driver = new LibvirtDriver({ uri: `qemu+unix:///system?socket=${join(dir, 'no-libvirtd.sock')}`, virshTimeoutMs: 10_000 });
    await expect(driver.guestAddresses(domainName('u1'))).rejects.toBeInstanceOf(HvsError);
    const observed = new ObservedState();
    vmObserved(observed);
    await mkdir(join(dir, 'lan'));
    await writeFile(leasesPath(dir, 'lan'), `${nowSec() + 600} ${MAC} 10.88.0.78 web-1 *\n`);
    let asked = 0;
    const guestAddresses = driver.guestAddresses.bind(driver);
    driver.guestAddresses = (name: string) => {
      asked++;
      return guestAddresses(name);
    };
    const watch = new AddressWatch({ store: { uids: () => ['u1'], desired: () => undefined, nics: () => [binding] }, observed, driver, clock: new SystemClock(), networksDir: dir });
    try {
      watch.start();
      await until('the guest agent asked', () => asked > 0);
      const nic = await until('the lease', () => observed.get('u1')?.interfaces?.find((i) => i.source === 'lease'), LEASE_WINDOW_MS);
      expect(nic.ipv4).toBe('10.88.0.78');
    } finally {
      watch.stop();
      await driver.close();
    }
  });

  it('libvirt\'s test driver answers domifaddr for every source, --source agent included, with a made-up 192.168.122.x', async () => {
    // Documented in docs/networking.md#guest-addresses: why the agent never asks the test driver.
    const nics = parseDomifaddr((await runVirsh('test:///default', domifaddrArgs('test'))).stdout);
    expect(nics).toHaveLength(1);
    expect(nics[0]).toMatchObject({ name: 'testnet0', mac: 'aa:bb:cc:dd:ee:ff', ipv6: [] });
    expect(nics[0].ipv4[0]).toMatch(/^192\.168\.122\.\d+$/);
    await expect(runVirsh('test:///default', domifaddrArgs('hvs-absent'))).rejects.toThrow(/hvs-absent/);
  });
});
