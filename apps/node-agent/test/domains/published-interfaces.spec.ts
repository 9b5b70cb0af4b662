// The reconciler publishes each VM with the interfaces known at that moment (addresses/ keeps
// them current in between), so a phase change never drops the addresses.
import type { InterfaceObservation } from '@hvs/domain';
import { testVm } from '../support/fixtures';
import { ReconcilerWorld } from './harness';

const UID = 'aaaaaaaa-0000-4000-8000-000000000001';
const eth0: InterfaceObservation = { name: 'eth0', mac: '52:54:00:00:00:01', network: 'lan', ipv4: '10.88.0.100', ipv6: ['fd00::64'], source: 'lease' };

describe('reconcileDomain publishes interfaces', () => {
  let world: ReconcilerWorld;
  beforeEach(async () => {
    world = await ReconcilerWorld.create();
  });
  afterEach(() => world.cleanup());

  it('carries the interfaces and their addresses (IPv4s, then IPv6s) with every phase', async () => {
    let known: InterfaceObservation[] = [eth0];
    const a = await world.boot({ interfaces: (uid) => (uid === UID ? known : []) });
    await world.assign(a, [testVm('web-1', UID)]);
    await a.reconciler.reconcileDomain(UID);
    expect(a.observed.get(UID)).toMatchObject({ phase: 'Running', ips: ['10.88.0.100', 'fd00::64'], interfaces: [eth0] });

    known = [];
    await world.assign(a, [testVm('web-1', UID, { runState: 'Stopped', generation: 2 })]);
    await a.reconciler.reconcileDomain(UID);
    expect(a.observed.get(UID)).toMatchObject({ phase: 'Stopped', ips: [] });
    expect(a.observed.get(UID)).not.toHaveProperty('interfaces');
  });

  it('publishes no interfaces and no addresses without the option', async () => {
    const a = await world.boot();
    await world.assign(a, [testVm('web-1', UID)]);
    await a.reconciler.reconcileDomain(UID);
    expect(a.observed.get(UID)).toMatchObject({ phase: 'Running', ips: [] });
    expect(a.observed.get(UID)).not.toHaveProperty('interfaces');
  });
});
