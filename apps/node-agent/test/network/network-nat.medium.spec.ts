/**
 * The agent's network path for real (NetworkReconciler + HostNetworkDriver) inside namespaces
 * this test creates: a nat Network whose guest reaches an "uplink" namespace masqueraded behind
 * the node's address, a port forward from the uplink to the guest, a restart that adopts the
 * running dnsmasq, and removal of a Network that left the assignment (no bridge, no dnsmasq,
 * no nft table).
 */
import { join } from 'node:path';
import { addVethPair, mustRun } from '../../../../test/harness/netns';
import { describeWhen } from '../../../../test/harness/tiers';
import { runningDnsmasq } from '../../src/network/dnsmasq-process';
import { HostNetworkDriver } from '../../src/network/host-driver';
import { bridgeName } from '../../src/network/naming';
import { NetworkReconciler } from '../../src/network/network-reconciler';
import { networkDir } from '../../src/network/plan';
import { ObservedState } from '../../src/observed/observed-state';
import { AssignmentStore, type NetworkBinding } from '../../src/state/assignment-store';
import { binding, network, reservation } from './fixtures';
import { NetLab, netnsGate } from './support/net-lab';

jest.setTimeout(60_000);

const WEB_MAC = '52:54:00:98:00:10';
const NAT = network('outside', { mode: 'nat', subnet: '10.98.0.0/24', portForwards: [{ protocol: 'udp', hostPort: 8053, vm: 'web-1', port: 5000 }] });
const quiet = { info: () => undefined, warn: () => undefined };

describeWhen(netnsGate.ok, netnsGate.why)('nat Network through the network reconciler', () => {
  let lab: NetLab;
  let state: string;
  let store: AssignmentStore;
  let N: string;
  let generation = 0;
  const observers: ObservedState[] = [];

  const reconciler = () => {
    const observed = new ObservedState();
    observers.push(observed);
    return { observed, rec: new NetworkReconciler({ driver: new HostNetworkDriver({ stateDir: state, netns: N }), store, observed, stateDir: state, log: quiet, onReady: () => undefined }) };
  };

  async function assign(bindings: Record<string, NetworkBinding>): Promise<void> {
    generation++;
    await store.replace({ generation, fencingToken: 1, vms: [], networks: Object.fromEntries(Object.keys(bindings).map((n) => [n, { bridge: bridgeName(n) }])), networkBindings: bindings });
  }

  beforeAll(async () => {
    lab = await NetLab.create(['n', 'g', 'u']);
    N = lab.ns('n');
    state = join(lab.dir, 'state');
    store = new AssignmentStore(state, 'node-1');
    await store.load();
    // The node's uplink: 10.99.0.1 here, 10.99.0.2 is "the internet".
    await addVethPair({ netns: N, device: 'up0', address: '10.99.0.1/24' }, { netns: lab.ns('u'), device: 'up1', address: '10.99.0.2/24' });
  });

  afterAll(() => {
    for (const o of observers) o.close();
    lab?.close();
  });

  it('realises the Network and reports it Realised and ready', async () => {
    await assign({ outside: binding(NAT, [reservation('web-1', '10.98.0.10', WEB_MAC)]) });
    const { observed, rec } = reconciler();
    await rec.reconcile();
    expect(observed.network('outside')).toMatchObject({ bridge: bridgeName('outside'), ready: true, reason: 'Realised' });
  });

  it('masquerades the guest behind the node address and forwards a node port to the guest', async () => {
    const G = lab.ns('g');
    await lab.plugGuest(N, bridgeName('outside'), G, 'gv0', WEB_MAC);
    expect(await lab.dhcpOffer(G, 'gv0', WEB_MAC, 5)).toBe('10.98.0.10');
    await mustRun('ip', ['-n', G, 'addr', 'add', '10.98.0.10/24', 'dev', 'gv0']);
    await mustRun('ip', ['-n', G, 'route', 'add', 'default', 'via', '10.98.0.1']);
    await lab.serveWhoami(lab.ns('u'), 7777);
    // The uplink has no route to 10.98.0.0/24: only a masqueraded datagram gets an answer.
    expect(await lab.whoami(G, '10.99.0.2', 7777)).toBe('10.99.0.1');
    await lab.serveWhoami(G, 5000);
    expect(await lab.whoami(lab.ns('u'), '10.99.0.1', 8053)).toBe('10.99.0.2');
  });

  it('a restarted agent adopts the running dnsmasq, and a Network that left the assignment is removed with its table', async () => {
    const pid = await runningDnsmasq(networkDir(state, 'outside'));
    const { observed, rec } = reconciler();
    await rec.reconcile();
    expect(observed.network('outside')).toMatchObject({ ready: true, reason: 'Realised' });
    expect(await runningDnsmasq(networkDir(state, 'outside'))).toBe(pid);
    await assign({});
    await rec.reconcile();
    expect(observed.network('outside')).toBeUndefined();
    expect((await lab.exec(N, ['ip', 'link', 'show', 'dev', bridgeName('outside')])).code).not.toBe(0);
    expect(await runningDnsmasq(networkDir(state, 'outside'))).toBeUndefined();
    expect((await lab.exec(N, ['nft', 'list', 'table', 'inet', 'hvs-net'])).code).not.toBe(0);
  });
});
