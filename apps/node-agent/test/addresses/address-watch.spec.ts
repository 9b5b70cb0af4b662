// AddressWatch on the fake driver and a fake clock: which source wins as sources come and go,
// that a guest without qemu-guest-agent is only "no answer", and how often guests are asked.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { domainName, type VirtualMachine } from '@hvs/domain';
import { FakeClock } from '@hvs/reconcile';
import { AddressWatch, leasesPath } from '../../src/addresses/address-watch';
import { FakeHypervisorDriver } from '../../src/hypervisor';
import { ObservedState } from '../../src/observed/observed-state';
import type { NicBinding } from '../../src/state/assignment-store';
import { until } from '../support/fixtures';

const T0 = Date.parse('2026-12-07T12:00:00Z');
const nic = (mac: string, ipv4: string): NicBinding => ({ name: 'eth0', network: 'lan', mac, ipv4, prefixLength: 24, gateway: '10.88.0.1', dnsName: '', static: false, dnsServers: [] });
const domXml = (name: string) => `<domain type='test'><name>${name}</name></domain>`;

describe('AddressWatch', () => {
  let dir: string;
  let clock: FakeClock;
  let driver: FakeHypervisorDriver;
  let observed: ObservedState;
  let watch: AddressWatch;
  const nics = new Map<string, NicBinding[]>();

  async function runningVm(uid: string, binding: NicBinding): Promise<void> {
    nics.set(uid, [binding]);
    await driver.define(domainName(uid), domXml(domainName(uid)));
    await driver.start(domainName(uid));
    observed.set({ name: uid, uid, phase: 'Running', reason: 'Running', message: '', ips: [], node: 'n', observedGeneration: 1, pendingRestart: [] });
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hvs-addrwatch-'));
    clock = new FakeClock(T0);
    driver = new FakeHypervisorDriver({ clock });
    observed = new ObservedState();
    nics.clear();
    watch = new AddressWatch({
      store: { uids: () => [...nics.keys()], desired: () => undefined as VirtualMachine | undefined, nics: (uid) => nics.get(uid) ?? [] },
      observed, driver, clock, networksDir: dir, leasePollMs: 3000, guestPollMs: 10_000, guestConcurrency: 2,
    });
  });
  afterEach(async () => {
    watch.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes the reservation, then the lease, then the guest agent; back to the lease when the agent stops answering', async () => {
    await runningVm('u1', nic('52:54:00:00:00:01', '10.88.0.100'));
    watch.start();
    // No agent in the guest (the fake answers with an error): swallowed, the reservation shows.
    await until('the reservation', () => observed.get('u1')?.interfaces?.[0]?.source === 'reservation');
    expect(observed.get('u1')).toMatchObject({ ips: ['10.88.0.100'], interfaces: [{ ipv4: '10.88.0.100', source: 'reservation' }] });

    await mkdir(join(dir, 'lan'));
    await writeFile(leasesPath(dir, 'lan'), `${T0 / 1000 + 3600} 52:54:00:00:00:01 10.88.0.100 u1 *\n`);
    await until('the lease', async () => {
      await clock.advance(1000);
      return observed.get('u1')?.interfaces?.[0]?.source === 'lease';
    });

    // The agent comes up in the guest: seen within the backed-off interval (20 s after one silent answer).
    driver.guestNics.set(domainName('u1'), [{ name: 'ens3', mac: '52:54:00:00:00:01', ipv4: ['10.88.0.100'], ipv6: ['fd00::64'] }]);
    await until('the guest agent source', async () => {
      await clock.advance(1000);
      return observed.get('u1')?.interfaces?.[0]?.source === 'guest-agent';
    });
    expect(clock.now() - T0).toBeLessThanOrEqual(20_000 + 10_000 + 1000);
    expect(observed.get('u1')).toMatchObject({ ips: ['10.88.0.100', 'fd00::64'], interfaces: [{ source: 'guest-agent', ipv6: ['fd00::64'] }] });

    driver.guestNics.delete(domainName('u1'));
    await until('back to the lease', async () => {
      await clock.advance(1000);
      return observed.get('u1')?.interfaces?.[0]?.source === 'lease';
    });
    expect(observed.get('u1')?.interfaces?.[0]).toStrictEqual({ name: 'eth0', mac: '52:54:00:00:00:01', network: 'lan', ipv4: '10.88.0.100', source: 'lease' });
  });

  it('drops a lease once it expires, without the file changing', async () => {
    await runningVm('u1', nic('52:54:00:00:00:01', ''));
    await mkdir(join(dir, 'lan'));
    await writeFile(leasesPath(dir, 'lan'), `${T0 / 1000 + 5} 52:54:00:00:00:01 10.88.0.150 u1 *\n`);
    watch.start();
    await until('the lease', () => observed.get('u1')?.ips?.[0] === '10.88.0.150');
    // Fake time moves only while real file reads finish in between: advance in steps until it shows.
    await until('the lease gone', async () => {
      await clock.advance(1000);
      return observed.get('u1')?.ips?.length === 0;
    });
    expect(clock.now()).toBeGreaterThanOrEqual(T0 + 5000);
    expect(observed.get('u1')?.interfaces).toStrictEqual([{ name: 'eth0', mac: '52:54:00:00:00:01', network: 'lan' }]);
  });

  it('asks each running guest at most once per period, never a stopped one, at most guestConcurrency at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const answer = driver.guestAddresses.bind(driver);
    driver.guestAddresses = async (name: string) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        await clock.sleep(500);
        return await answer(name);
      } finally {
        inFlight--;
      }
    };
    for (const i of [1, 2, 3, 4, 5]) {
      await runningVm(`u${i}`, nic(`52:54:00:00:00:0${i}`, `10.88.0.${i}`));
      driver.guestNics.set(domainName(`u${i}`), [{ name: 'ens3', mac: `52:54:00:00:00:0${i}`, ipv4: [`10.88.0.${i}`], ipv6: [] }]);
    }
    observed.set({ ...observed.get('u5')!, phase: 'Stopped' });
    watch.start();
    await clock.advance(9_999);
    const calls = () => [1, 2, 3, 4, 5].map((i) => driver.guestAddressCalls.get(domainName(`u${i}`)) ?? 0);
    expect(calls()).toStrictEqual([1, 1, 1, 1, 0]);
    expect(most).toBe(2);
    expect(observed.get('u1')?.interfaces?.[0]?.source).toBe('guest-agent');
    await clock.advance(12_000);
    expect(calls()).toStrictEqual([2, 2, 2, 2, 0]);
  });

  it('backs off to guestMaxPollMs while a guest has no agent, and back to guestPollMs once it answers', async () => {
    await runningVm('u1', nic('52:54:00:00:00:01', '10.88.0.1'));
    const calls = () => driver.guestAddressCalls.get(domainName('u1')) ?? 0;
    watch.start();
    await clock.flush();
    expect(calls()).toBe(1);
    // Silent: asked again after 20 s, 40 s, then every 60 s (ticks are 10 s apart).
    await clock.advance(25_000);
    expect(calls()).toBe(2);
    await clock.advance(45_000);
    expect(calls()).toBe(3);
    await clock.advance(65_000);
    expect(calls()).toBe(4);
    await clock.advance(40_000);
    expect(calls()).toBe(4);
    driver.guestNics.set(domainName('u1'), [{ name: 'ens3', mac: '52:54:00:00:00:01', ipv4: ['10.88.0.1'], ipv6: [] }]);
    await clock.advance(12_000);
    expect(calls()).toBe(5);
    expect(observed.get('u1')?.interfaces?.[0]?.source).toBe('guest-agent');
    // A changed answer: every 10 s again (the next, unchanged, one doubles it).
    await clock.advance(10_000);
    expect(calls()).toBe(6);
  });

  it('does not ask at all when the driver cannot (libvirt test driver)', async () => {
    const plain = Object.assign(new FakeHypervisorDriver({ clock }), { abilities: new Set() });
    const w = new AddressWatch({ store: { uids: () => ['u1'], desired: () => undefined, nics: () => [nic('52:54:00:00:00:01', '10.88.0.1')] }, observed, driver: plain, clock, networksDir: dir });
    w.start();
    await clock.advance(30_000);
    w.stop();
    expect(plain.guestAddressCalls.size).toBe(0);
  });
});
