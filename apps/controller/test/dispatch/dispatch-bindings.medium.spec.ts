/**
 * The reservations reach the nodes: a VM applied through the service and bound to node-a shows
 * up in node-a's Assign with its NIC bound (MAC, address, DNS name) and the Network's binding;
 * a reservation made for a VM on another node re-sends node-a's Assign (its DNS serves every
 * VM of the Network). Real etcd and real gRPC (fake agent) on loopback.
 */
import type { VirtualMachine } from '@hvs/domain';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { AuditService } from '../../src/audit';
import { Dispatcher } from '../../src/dispatch';
import { ReservationCache } from '../../src/ipam';
import { ResourceService } from '../../src/services';
import { EtcdStore } from '../../src/store';
import { asUser } from '../identity/as-user';
import { nodeDoc, startDispatcherInformers } from '../runtime/fixtures';
import { FakeAgent } from './fake-agent';

jest.setTimeout(30_000);

let etcd: EtcdInstance;
let store: EtcdStore;
let agent: FakeAgent;
let stops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  etcd = await startEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
  agent = new FakeAgent();
  await agent.listen();
});
afterEach(async () => {
  for (const s of stops.reverse()) await s();
  stops = [];
  await agent?.stop();
  await store?.close();
  await etcd?.stop();
});

const vm = (name: string) => `apiVersion: hvs/v1\nkind: VirtualMachine\nmetadata:\n  name: ${name}\nspec:\n  cpu:\n    cores: 1\n  memory:\n    size: 256MiB\n  disks: []\n  networks:\n    - name: eth0\n      network: lan\n`;
const LAN = 'apiVersion: hvs/v1\nkind: Network\nmetadata:\n  name: lan\nspec:\n  mode: nat\n  subnet: 10.10.0.0/24\n';

async function bind(name: string, node: string): Promise<void> {
  const v = await store.get<VirtualMachine>('VirtualMachine', name);
  await store.updateStatus({ ...v, status: { node, phase: 'Scheduled' } });
}

it('sends NIC and Network bindings from the reservations, and re-sends when a reservation of the Network changes', async () => {
  const service = new ResourceService(store, new AuditService(store));
  await store.create(nodeDoc('node-a', { address: agent.address }));
  await store.create(nodeDoc('node-b'));
  await service.apply([{ content: `${LAN}---\n${vm('web')}` }], {}, asUser('ops'));
  await bind('web', 'node-a');
  const started = await startDispatcherInformers(store);
  stops.push(started.stop);
  const reservations = new ReservationCache(store);
  await reservations.start();
  stops.push(() => reservations.stop());
  const dispatcher = new Dispatcher({ store, informers: { ...started.informers, reservations }, controllerId: 'ctl-test', reconnectBaseMs: 50, reconnectMaxMs: 200 });
  dispatcher.start();
  stops.push(() => dispatcher.stop());

  const first = await waitFor(() => agent.assigns.find((a) => a.vms.length === 1), { what: 'an Assign with web' });
  const nic = first.vms[0]!.nics[0]!;
  expect(nic).toMatchObject({ name: 'eth0', network: 'lan', ipv4: '10.10.0.2', prefixLength: 24, gateway: '10.10.0.1', dnsName: 'web.lan', dnsServers: ['10.10.0.1'] });
  expect(nic.mac).toMatch(/^52:54:00:/);
  expect((JSON.parse(first.vms[0]!.vm!.specJson) as VirtualMachine['spec']).networks[0]!.mac).toBe(nic.mac);
  expect(first.networkBindings.map((b) => [b.network, b.reservations.map((r) => [r.vm, r.ipv4, r.local])])).toEqual([['lan', [['web', '10.10.0.2', true]]]]);

  // A VM on node-b: node-a's DNS must know it too, so its Assign is sent again.
  await service.apply([{ content: vm('db') }], {}, asUser('ops'));
  await bind('db', 'node-b');
  const again = await waitFor(() => agent.assigns.find((a) => a.networkBindings[0]?.reservations.length === 2), { what: 'an Assign with both reservations' });
  expect(again.networkBindings[0]!.reservations.map((r) => [r.vm, r.ipv4, r.local])).toEqual([['web', '10.10.0.2', true], ['db', '10.10.0.3', false]]);
  expect(again.vms.map((v) => v.nics[0]!.ipv4)).toEqual(['10.10.0.2']);
});
