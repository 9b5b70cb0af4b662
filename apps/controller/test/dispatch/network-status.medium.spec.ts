/**
 * Network status from the agents' reports, against real etcd: status.nodes[] per node (bridge,
 * ready, reason, message), the entry removed when the agent reports the Network removed, and
 * status.addresses counting the reservations against the range.
 */
import type { Network } from '@hvs/domain';
import type { agentv1 } from '@hvs/proto';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { AuditService } from '../../src/audit';
import { NetworkStatusSync } from '../../src/dispatch';
import { ReservationCache } from '../../src/ipam';
import { ResourceService } from '../../src/services';
import { EtcdStore } from '../../src/store';
import { asUser } from '../identity/as-user';
import { awaitObject, startInformer } from '../runtime/fixtures';

jest.setTimeout(30_000);

let etcd: EtcdInstance;
let store: EtcdStore;

beforeAll(async () => {
  etcd = await startEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
});
afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

const report = (o: Partial<agentv1.NetworkObserved>): agentv1.NetworkObserved => ({ network: 'lan', bridge: '', ready: false, reason: '', message: '', removed: false, ...o });

it('writes status.nodes from reports and status.addresses from the reservations', async () => {
  const service = new ResourceService(store, new AuditService(store));
  const vm = (name: string) => `apiVersion: hvs/v1\nkind: VirtualMachine\nmetadata:\n  name: ${name}\nspec:\n  cpu:\n    cores: 1\n  memory:\n    size: 256MiB\n  disks: []\n  networks:\n    - name: eth0\n      network: lan\n`;
  const lan = 'apiVersion: hvs/v1\nkind: Network\nmetadata:\n  name: lan\nspec:\n  mode: nat\n  subnet: 10.10.0.0/24\n  dhcp:\n    start: 10.10.0.100\n    end: 10.10.0.149\n';
  await service.apply([{ content: [lan, vm('web-1'), vm('web-2')].join('---\n') }], {}, asUser('ops'));
  const networks = await startInformer<Network>(store, 'Network');
  const reservations = new ReservationCache(store);
  await reservations.start();
  const sync = new NetworkStatusSync({ store, networks, reservations });
  sync.start();
  try {
    await awaitObject<Network, true>(store, 'Network', 'lan', 'addresses counted', (n) => n.status?.addresses?.reserved === 2 && n.status.addresses.capacity === 50);
    sync.observe('node-b', report({ bridge: 'hvs-0123456789', ready: false, reason: 'DnsmasqFailed', message: 'port 53 taken' }));
    sync.observe('node-a', report({ bridge: 'hvs-0123456789', ready: true, reason: 'Realised' }));
    const nodes = await awaitObject<Network, NonNullable<Network['status']>['nodes']>(store, 'Network', 'lan', 'both nodes reported',
      (n) => n.status?.nodes?.length === 2 && n.status.nodes);
    expect(nodes).toEqual([
      { node: 'node-a', bridge: 'hvs-0123456789', ready: true, reason: 'Realised' },
      { node: 'node-b', bridge: 'hvs-0123456789', ready: false, reason: 'DnsmasqFailed', message: 'port 53 taken' },
    ]);
    expect([sync.readyOn('lan', 'node-a'), sync.readyOn('lan', 'node-b')]).toEqual([true, false]);

    sync.observe('node-b', report({ removed: true, reason: 'Removed' }));
    await awaitObject<Network, true>(store, 'Network', 'lan', 'node-b entry removed', (n) => n.status?.nodes?.map((e) => e.node).join() === 'node-a');
    expect((await store.get<Network>('Network', 'lan')).status?.addresses).toEqual({ reserved: 2, capacity: 50 });
  } finally {
    await sync.stop();
    await reservations.stop();
    await networks.stop();
  }
});
